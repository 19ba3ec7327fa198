package guard_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/netns"
)

// A Ginkgo suite checks every spec for leaks and the host for changes, and
// skips its privileged specs where the process may not create namespaces.
func ExampleSuite() {
	var _ = guard.Suite() // at package level, next to the suite's entry point

	_ = Describe("my network code", func() {
		BeforeEach(guard.SkipUnlessPrivileged)

		It("works in a namespace of its own", func() {
			netns.Execute(netns.NewTransient(), func() {
				// code under test
			})
		})
	})
}

// A plain test calls T first, so that its checks run after every other
// cleanup of the test, and defers ReportT, so that a failure's report shows
// what the body left.
func ExampleT() {
	_ = func(t *testing.T) {
		guard.T(t)
		defer guard.ReportT(t)
		guard.SkipUnlessPrivilegedT(t)
		netns.ExecuteT(t, netns.NewTransientT(t), func() {
			// code under test
		})
	}
}
