package guard

import (
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gleak"

	"github.com/scratchnet/scratchnet/internal/leaks"
)

// settle is how long the checks wait for goroutines and fds that end or
// close a little after the spec.
const settle = 2 * time.Second

// Suite registers, for the whole Ginkgo suite, a BeforeSuite that snapshots
// the host network namespace's links, addresses and routes and checks them
// again after the suite, and a BeforeEach whose cleanup checks that the spec
// leaked no goroutine, no file descriptor, no thread in a foreign network
// namespace and no link in the host namespace. Call it once per suite, at
// package level (var _ = guard.Suite()); the suite must not declare a
// BeforeSuite of its own.
//
// Together these cover every interface a spec can leave behind: one in a
// transient namespace lives only as long as an fd or a thread keeps that
// namespace, and both are checked; one in the host namespace is caught by
// the per-spec link check, which names the spec, where the per-suite
// snapshot only says that the suite changed the host.
func Suite() bool {
	BeforeSuite(func() {
		before, err := leaks.HostSnapshot()
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() {
			Expect(leaks.HostSnapshot()).To(Equal(before),
				"the host network namespace changed during the suite")
		})
	})
	BeforeEach(func() {
		s := take(Default)
		DeferCleanup(func() { s.check(Default) })
	})
	return true
}

// T checks, when t's cleanups are done, that t leaked no goroutine, no file
// descriptor, no thread in a foreign network namespace, and that the host
// network namespace's links, addresses and routes are as they were when T
// was called. Call it first thing in the test, so that its check runs after
// every cleanup registered later (cleanups run last-in first-out).
func T(t testing.TB) {
	t.Helper()
	g := NewWithT(t)
	s := take(g)
	host, err := leaks.HostSnapshot()
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() {
		s.check(g)
		g.Expect(leaks.HostSnapshot()).To(Equal(host), "the host network namespace changed during the test")
	})
}

// snapshot is what a spec must leave as it found it.
type snapshot struct {
	goroutines []gleak.Goroutine
	fds        map[int]string
	hostIno    uint64
	hostLinks  []string
}

func take(g Gomega) snapshot {
	s := snapshot{goroutines: gleak.Goroutines()}
	var err error
	s.fds, err = leaks.OpenFDs()
	g.Expect(err).NotTo(HaveOccurred())
	s.hostIno, err = leaks.ProcessNetnsIno()
	g.Expect(err).NotTo(HaveOccurred())
	s.hostLinks, err = leaks.HostLinkLines()
	g.Expect(err).NotTo(HaveOccurred())
	return s
}

func (s snapshot) check(g Gomega) {
	g.Eventually(gleak.Goroutines).WithTimeout(settle).WithPolling(20*time.Millisecond).
		ShouldNot(gleak.HaveLeaked(s.goroutines), "the spec leaked goroutines")
	g.Eventually(func() ([]string, error) {
		now, err := leaks.OpenFDs()
		return withoutInterceptorPipe(leaks.NewFDs(s.fds, now)), err
	}).WithTimeout(settle).WithPolling(20*time.Millisecond).
		Should(BeEmpty(), "the spec leaked file descriptors")
	g.Eventually(leaks.ThreadsOutside).WithArguments(s.hostIno).WithTimeout(time.Second).
		Should(BeEmpty(), "threads were left in a foreign network namespace")
	links, err := leaks.HostLinkLines()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(leaks.NewLines(s.hostLinks, links)).To(BeEmpty(),
		"the spec left links in the host network namespace")
}

// withoutInterceptorPipe drops one new pipe (both its ends) from the leaked
// fds of a parallel Ginkgo run: there Ginkgo's output interceptor makes the
// pipe for the next spec in the background, at any time during this one.
// scratchnet itself never makes pipes, so two new pipes are still a leak.
func withoutInterceptorPipe(leaked []string) []string {
	if suite, _ := GinkgoConfiguration(); suite.ParallelTotal <= 1 {
		return leaked
	}
	pipes := map[string]int{}
	for _, l := range leaked {
		if _, target, _ := strings.Cut(l, " -> "); strings.HasPrefix(target, "pipe:") {
			pipes[target]++
		}
	}
	if len(pipes) != 1 {
		return leaked
	}
	var rest []string
	for _, l := range leaked {
		if _, target, _ := strings.Cut(l, " -> "); pipes[target] == 0 {
			rest = append(rest, l)
		}
	}
	return rest
}
