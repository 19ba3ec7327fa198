package testsupport

import (
	"fmt"
	"runtime"
	"sync"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// Recorder is a testing.TB that records failures, skips, log lines and
// cleanups instead of acting on them, so that a spec can assert what a helper
// reports on a failure path. Only the methods the module's helpers use are
// implemented; any other method panics on the nil embedded TB.
//
// Fatalf, FailNow and Skipf end the calling goroutine with runtime.Goexit,
// exactly like testing.T does, so deferred calls of the helper run. Use
// [Recorder.Run] to call a helper.
type Recorder struct {
	testing.TB

	mu       sync.Mutex
	failures []string
	skips    []string
	logs     []string
	cleanups []func()
}

// Run calls fn with the recorder on a goroutine of its own, waits for it to
// return or to end through Fatalf/Skipf, and then runs the recorded cleanups
// in reverse order on yet another goroutine, as Ginkgo and testing do.
// Gomega assertions failing inside fn fail the spec that calls Run.
func (r *Recorder) Run(fn func(t testing.TB)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Assertions inside fn fail the real spec, not the recorder.
		defer GinkgoRecover()
		fn(r)
	}()
	<-done
	cleaned := make(chan struct{})
	go func() {
		defer close(cleaned)
		defer GinkgoRecover()
		r.mu.Lock()
		cleanups := r.cleanups
		r.cleanups = nil
		r.mu.Unlock()
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}()
	<-cleaned
}

// Failures returns the recorded failure messages.
func (r *Recorder) Failures() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.failures...)
}

// Skips returns the recorded skip messages.
func (r *Recorder) Skips() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.skips...)
}

// Logs returns the recorded log lines.
func (r *Recorder) Logs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.logs...)
}

// Helper does nothing: a recorder reports no call sites.
func (r *Recorder) Helper() {}

// Name names the recorder in messages that name their test.
func (r *Recorder) Name() string { return "recorder" }

// Cleanup records fn; Run calls the recorded functions in reverse order.
func (r *Recorder) Cleanup(fn func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, fn)
}

// Logf records a log line.
func (r *Recorder) Logf(format string, args ...any) { r.record(&r.logs, fmt.Sprintf(format, args...)) }

// Log records a log line.
func (r *Recorder) Log(args ...any) { r.record(&r.logs, fmt.Sprint(args...)) }

// Errorf records a failure and lets the caller go on.
func (r *Recorder) Errorf(format string, args ...any) {
	r.record(&r.failures, fmt.Sprintf(format, args...))
}

// Error records a failure and lets the caller go on.
func (r *Recorder) Error(args ...any) { r.record(&r.failures, fmt.Sprint(args...)) }

// Fail records a failure without a message.
func (r *Recorder) Fail() { r.record(&r.failures, "failed") }

// Failed reports whether a failure was recorded.
func (r *Recorder) Failed() bool { return len(r.Failures()) > 0 }

// FailNow records a failure and ends the calling goroutine.
func (r *Recorder) FailNow() {
	r.Fail()
	runtime.Goexit()
}

// Fatalf records a failure and ends the calling goroutine.
func (r *Recorder) Fatalf(format string, args ...any) {
	r.record(&r.failures, fmt.Sprintf(format, args...))
	runtime.Goexit()
}

// Fatal records a failure and ends the calling goroutine.
func (r *Recorder) Fatal(args ...any) {
	r.record(&r.failures, fmt.Sprint(args...))
	runtime.Goexit()
}

// Skipf records a skip and ends the calling goroutine.
func (r *Recorder) Skipf(format string, args ...any) {
	r.record(&r.skips, fmt.Sprintf(format, args...))
	runtime.Goexit()
}

// Skip records a skip and ends the calling goroutine.
func (r *Recorder) Skip(args ...any) {
	r.record(&r.skips, fmt.Sprint(args...))
	runtime.Goexit()
}

// SkipNow records a skip without a message and ends the calling goroutine.
func (r *Recorder) SkipNow() { r.Skip("skipped") }

// Skipped reports whether a skip was recorded.
func (r *Recorder) Skipped() bool { return len(r.Skips()) > 0 }

func (r *Recorder) record(into *[]string, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	*into = append(*into, msg)
}

// ExpectRefused runs call with a fresh Recorder and expects it to fail once,
// with a message starting with prefix and naming reason, and to leave the
// network namespace nsfd as it found a fresh one: with lo only.
func ExpectRefused(call func(t testing.TB), nsfd int, prefix, reason string) {
	GinkgoHelper()
	rec := &Recorder{}
	rec.Run(call)
	Expect(rec.Failures()).To(ConsistOf(SatisfyAll(HavePrefix(prefix), ContainSubstring(reason))))
	Expect(LinkNames(nsfd)).To(ConsistOf("lo"), "the refused call left links behind")
}
