package guard

import (
	"testing"

	"github.com/scratchnet/scratchnet/internal/diag"
)

// ReportT, deferred first thing in a plain test, has the failure reports of
// the test's labs and transient namespaces show what the test body left.
//
// Without it, a plain test's report is taken just before the first of the
// library's cleanups for the test runs: after the test's deferred calls and
// after every t.Cleanup the test registered after its last call that
// created something through scratchnet, since cleanups run last-in
// first-out. What those remove (a server closed in a cleanup, a socket
// closed by a defer) is then missing from the report. The testing package
// has no hook that runs when the body ends and before its cleanups other
// than the body's own deferred calls, which is why this one is needed;
// Ginkgo's reports are taken when the spec fails and need nothing.
//
// ReportT writes the reports when the body returns or stops with t.Fatal,
// if the test has failed by then or runs with -test.v, pointing at the
// test's line that was running; a report it wrote is not written again at
// teardown. Deferred calls run last-in first-out as well: a defer in the
// body after it runs before it.
//
//	func TestServer(t *testing.T) {
//	    guard.T(t)
//	    defer guard.ReportT(t)
//	    ...
//	}
func ReportT(t testing.TB) {
	t.Helper()
	diag.ReportNow(t)
}
