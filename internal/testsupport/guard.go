package testsupport

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gleak"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// Guard registers, for the whole suite, a BeforeSuite that snapshots the host
// network namespace and checks it again after the suite, and a BeforeEach
// whose cleanup checks that the spec leaked no goroutine, no file descriptor,
// no thread in a foreign network namespace and no link in the host
// namespace. Call it once per suite, at package level; the suite must not
// declare a BeforeSuite of its own.
//
// Together these cover every interface a spec can leave behind: one in a
// transient namespace lives only as long as an fd or a thread keeps that
// namespace, and both are checked; one in the host namespace is caught by
// the per-spec link check, which names the spec, where the per-suite
// snapshot only says that the suite changed the host.
func Guard() bool {
	BeforeSuite(func() {
		before := HostSnapshot()
		DeferCleanup(func() {
			Expect(HostSnapshot()).To(Equal(before),
				"the host network namespace changed during the suite")
		})
	})
	BeforeEach(func() {
		goroutines := gleak.Goroutines()
		fds := OpenFDs()
		hostIno := ThreadNetnsInos()[unix.Getpid()]
		hostLinks := hostLinkLines()
		DeferCleanup(func() {
			Eventually(gleak.Goroutines).WithTimeout(2*time.Second).WithPolling(20*time.Millisecond).
				ShouldNot(gleak.HaveLeaked(goroutines), "the spec leaked goroutines")
			Eventually(OpenFDs).WithTimeout(2*time.Second).WithPolling(20*time.Millisecond).
				Should(HaveNoNewFDsThan(fds), "the spec leaked file descriptors")
			Eventually(threadsOutsideNetns).WithArguments(hostIno).WithTimeout(time.Second).
				Should(BeEmpty(), "threads were left in a foreign network namespace")
			Expect(hostLinkLines()).To(HaveNoNewLinesThan(hostLinks), "the spec left links in the host network namespace")
		})
	})
	return true
}

// HaveNoNewFDsThan succeeds when every key of the actual fd map is also in expected
// with the same target: new fds are leaks, closed ones are not.
func HaveNoNewFDsThan(expected map[int]string) OmegaMatcher {
	return WithTransform(func(actual map[int]string) []string {
		var leaked []string
		for fd, target := range actual {
			if prev, ok := expected[fd]; !ok || prev != target {
				leaked = append(leaked, fmt.Sprintf("%d -> %s", fd, target))
			}
		}
		sort.Strings(leaked)
		return withoutInterceptorPipe(leaked)
	}, BeEmpty())
}

// withoutInterceptorPipe drops one new pipe (both its ends) from the leaked
// fds of a parallel run: there Ginkgo's output interceptor makes the pipe for
// the next spec in the background, at any time during this one. The module
// itself never makes pipes, so two new pipes are still a leak.
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

// HaveNoNewLinesThan succeeds when every line of the actual list is also in
// expected: new lines are leaks, vanished ones are not.
func HaveNoNewLinesThan(expected []string) OmegaMatcher {
	return WithTransform(func(actual []string) []string {
		var added []string
		for _, l := range actual {
			if !slices.Contains(expected, l) {
				added = append(added, l)
			}
		}
		return added
	}, BeEmpty())
}

// hostLinkLines names the links of the process's network namespace, one
// "index name type" line each.
func hostLinkLines() []string {
	h, err := nsops.HandleHere()
	if err != nil {
		Fail(fmt.Sprintf("cannot list links of host network namespace, reason: %v", err))
	}
	defer h.Close()
	links, err := nsops.RetryDump(h.LinkList)
	if err != nil {
		Fail(fmt.Sprintf("cannot list links of host network namespace, reason: %v", err))
	}
	lines := make([]string, 0, len(links))
	for _, l := range links {
		lines = append(lines, fmt.Sprintf("%d %s %s", l.Attrs().Index, l.Attrs().Name, l.Type()))
	}
	return lines
}

// OpenFDs maps each open fd of the process to what it refers to.
func OpenFDs() map[int]string {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		Fail(fmt.Sprintf("cannot list open file descriptors, reason: %v", err))
	}
	fds := map[int]string{}
	for _, e := range entries {
		var fd int
		if _, err := fmt.Sscan(e.Name(), &fd); err != nil {
			continue
		}
		// The fd ReadDir itself used is closed by now and yields an error.
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err != nil {
			continue
		}
		fds[fd] = target
	}
	return fds
}

// ThreadNetnsInos maps each thread (task id) of the process to the inode
// number of the network namespace it is in. Threads that end while being
// looked at are left out.
func ThreadNetnsInos() map[int]uint64 {
	entries, err := os.ReadDir("/proc/self/task")
	if err != nil {
		Fail(fmt.Sprintf("cannot list threads, reason: %v", err))
	}
	inos := map[int]uint64{}
	for _, e := range entries {
		var tid int
		if _, err := fmt.Sscan(e.Name(), &tid); err != nil {
			continue
		}
		var st unix.Stat_t
		if err := unix.Stat(filepath.Join("/proc/self/task", e.Name(), "ns/net"), &st); err != nil {
			continue
		}
		inos[tid] = st.Ino
	}
	return inos
}

func threadsOutsideNetns(ino uint64) []string {
	var foreign []string
	for tid, tino := range ThreadNetnsInos() {
		if tino != ino {
			foreign = append(foreign, fmt.Sprintf("thread %d in net:[%d]", tid, tino))
		}
	}
	return foreign
}

// HostSnapshot describes the links, addresses and routes of the process's
// network namespace as text, one line per item, sorted; comparing two
// snapshots shows what changed. Volatile details (counters, operational
// state, neighbour-learned routes) are left out.
func HostSnapshot() []string {
	h, err := nsops.HandleHere()
	if err != nil {
		Fail(fmt.Sprintf("cannot snapshot host network namespace, reason: %v", err))
	}
	defer h.Close()
	var lines []string
	links, err := nsops.RetryDump(h.LinkList)
	if err != nil {
		Fail(fmt.Sprintf("cannot list links of host network namespace, reason: %v", err))
	}
	for _, l := range links {
		a := l.Attrs()
		lines = append(lines, fmt.Sprintf("link %d %s type=%s mtu=%d flags=%s master=%d",
			a.Index, a.Name, l.Type(), a.MTU, a.Flags, a.MasterIndex))
	}
	addrs, err := nsops.RetryDump(func() ([]netlink.Addr, error) { return h.AddrList(nil, netlink.FAMILY_ALL) })
	if err != nil {
		Fail(fmt.Sprintf("cannot list addresses of host network namespace, reason: %v", err))
	}
	for _, a := range addrs {
		lines = append(lines, fmt.Sprintf("addr %d %s", a.LinkIndex, a.IPNet))
	}
	routes, err := nsops.RetryDump(func() ([]netlink.Route, error) {
		return h.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	})
	if err != nil {
		Fail(fmt.Sprintf("cannot list routes of host network namespace, reason: %v", err))
	}
	for _, r := range routes {
		lines = append(lines, fmt.Sprintf("route table=%d dst=%v gw=%v dev=%d proto=%d", r.Table, r.Dst, r.Gw, r.LinkIndex, r.Protocol))
	}
	slices.Sort(lines)
	return slices.Compact(lines)
}
