package guard

import (
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gleak"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/closer"
	"github.com/scratchnet/scratchnet/internal/leaks"
	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/snapshot"
)

// settle is how long the checks wait for goroutines and fds that end or
// close a little after the spec.
const settle = 2 * time.Second

// Suite registers, for the whole Ginkgo suite, a BeforeEach whose cleanup
// checks that the spec leaked no goroutine, no file descriptor and no thread
// in a foreign network namespace, and that it left the host network
// namespace as it found it: its links, addresses, routes, policy rules,
// permanent neighbours, nftables, qdiscs and sysctls ([HostSections]). Call it once per
// suite, at package level (var _ = guard.Suite()). It registers no suite
// node, so the suite keeps its own BeforeSuite or SynchronizedBeforeSuite
// and AfterSuite: what those create in the host namespace is part of what
// each spec must leave as it found it, and removing it again is theirs.
//
// Files whose close the library leaves to the background, because the
// kernel makes it wait (a capture's packet socket, see package capture),
// are waited for first, and then checked like any other fd.
//
// Together these cover every interface a spec can leave behind: one in a
// transient namespace lives only as long as an fd or a thread keeps that
// namespace, and both are checked; one in the host namespace is caught by
// the host check, which names the spec and prints the [snapshot.Diff]: one
// line for each item added, removed or changed.
func Suite() bool {
	BeforeEach(func() {
		s := take(Default)
		DeferCleanup(func() { s.check(Default, "spec") })
	})
	return true
}

// T checks, when t's cleanups are done, that t leaked no goroutine, no file
// descriptor, no thread in a foreign network namespace, and that the host
// network namespace's [HostSections] are as they were when T was called,
// printing what changed as a diff. Call it first thing in the test, so that
// its check runs after every cleanup registered later (cleanups run last-in
// first-out).
func T(t testing.TB) {
	t.Helper()
	g := NewWithT(t)
	s := take(g)
	t.Cleanup(func() { s.check(g, "test") })
}

// HostSections are the parts of the host network namespace that a spec
// must leave as it found it. Listening sockets are not among them: a
// server's socket may close a little after the spec that stopped it.
var HostSections = []snapshot.Section{
	snapshot.Links, snapshot.Addresses, snapshot.Routes, snapshot.Rules, snapshot.Neighbours,
	snapshot.Nftables, snapshot.Qdiscs, snapshot.Sysctls,
}

// state is what a spec must leave as it found it.
type state struct {
	goroutines []gleak.Goroutine
	fds        map[int]string
	hostIno    uint64
	host       *snapshot.Snapshot
}

// hostSnapshot snapshots the process's network namespace, whichever
// thread asks.
func hostSnapshot() (*snapshot.Snapshot, error) {
	return snapshot.Collect(fmt.Sprintf("/proc/%d/ns/net", unix.Getpid()), snapshot.Only(HostSections...))
}

func take(g Gomega) state {
	s := state{goroutines: gleak.Goroutines()}
	var err error
	s.fds, err = leaks.OpenFDs()
	g.Expect(err).NotTo(HaveOccurred())
	s.hostIno, err = leaks.ProcessNetnsIno()
	g.Expect(err).NotTo(HaveOccurred())
	s.host, err = hostSnapshot()
	g.Expect(err).NotTo(HaveOccurred())
	return s
}

// check compares with the snapshot; what names the checked node ("spec",
// "test") in messages.
func (s state) check(g Gomega, what string) {
	// The closes the library left to the background (see package closer)
	// end a grace period after the spec: waiting for them here is cheaper
	// than polling for their fds.
	closer.Wait(settle)
	g.Eventually(gleak.Goroutines).WithTimeout(settle).WithPolling(20*time.Millisecond).
		ShouldNot(gleak.HaveLeaked(s.goroutines), "the "+what+" leaked goroutines")
	g.Eventually(func() ([]string, error) {
		now, err := leaks.OpenFDs()
		return withoutInterceptorPipe(leaks.NewFDs(s.fds, now)), err
	}).WithTimeout(settle).WithPolling(20*time.Millisecond).
		Should(BeEmpty(), "the "+what+" leaked file descriptors")
	g.Eventually(leaks.ThreadsOutside).WithArguments(s.hostIno).WithTimeout(time.Second).
		Should(BeEmpty(), "threads were left in a foreign network namespace")
	host, err := hostSnapshot()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(host).To(snapshot.BeUnchangedSince(s.host),
		"the %s changed the host's %s", what, nsops.DescribeIno(s.hostIno))
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
		if pipe := pipeOf(l); pipe != "" {
			pipes[pipe]++
		}
	}
	if len(pipes) != 1 {
		return leaked
	}
	var rest []string
	for _, l := range leaked {
		if pipes[pipeOf(l)] == 0 {
			rest = append(rest, l)
		}
	}
	return rest
}

// pipeOf returns "pipe:[inode]" for a leaked fd's line about a pipe's end,
// and "" for any other.
func pipeOf(line string) string {
	_, target, _ := strings.Cut(line, " -> ")
	if target, _, _ = strings.Cut(target, " "); strings.HasPrefix(target, "pipe:") {
		return target
	}
	return ""
}
