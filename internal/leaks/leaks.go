// Package leaks takes the snapshots that the guard package compares before
// and after a spec or suite: the process's open file descriptors, the
// network namespace of each of its threads, and the links, addresses and
// routes of its network namespace. Every function returns an error and
// leaves reporting to its caller.
package leaks

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// OpenFDs maps each open fd of the process to what it refers to.
func OpenFDs() (map[int]string, error) {
	pollerOnce.Do(startPoller)
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil, fmt.Errorf("cannot list open file descriptors, reason: %w", err)
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
	return fds, nil
}

// pollerOnce starts the Go runtime's network poller before the first
// snapshot of open fds. The runtime opens the poller's epoll and eventfd fds
// when a pollable fd (a pipe, a socket, an exec.Cmd's output) is first used
// and keeps them for the life of the process, so whichever spec happens to
// be the first to use one would otherwise be blamed for two leaked fds.
var pollerOnce sync.Once

// startPoller opens and closes a pipe, which registers it with the runtime's
// poller and so starts that. A failure is left to OpenFDs' own reading.
func startPoller() {
	r, w, err := os.Pipe()
	if err != nil {
		return
	}
	r.Close()
	w.Close()
}

// ThreadNetnsInos maps each thread (task id) of the process to the inode
// number of the network namespace it is in. Threads that end while being
// looked at are left out.
func ThreadNetnsInos() (map[int]uint64, error) {
	entries, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil, fmt.Errorf("cannot list threads, reason: %w", err)
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
	return inos, nil
}

// ThreadsOutside lists the threads of the process that are not in the
// network namespace with inode ino.
func ThreadsOutside(ino uint64) ([]string, error) {
	inos, err := ThreadNetnsInos()
	if err != nil {
		return nil, err
	}
	var foreign []string
	for tid, tino := range inos {
		if tino != ino {
			foreign = append(foreign, fmt.Sprintf("thread %d in net:[%d]", tid, tino))
		}
	}
	slices.Sort(foreign)
	return foreign, nil
}

// ProcessNetnsIno is the inode number of the network namespace of the
// process's main thread, which /proc/self describes.
func ProcessNetnsIno() (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Getpid()), &st); err != nil {
		return 0, fmt.Errorf("cannot identify the process's network namespace, reason: %w", err)
	}
	return st.Ino, nil
}

// HostSnapshot describes the links, addresses and routes of the process's
// network namespace as text, one line per item, sorted; comparing two
// snapshots shows what changed. Volatile details (counters, operational
// state) are left out.
func HostSnapshot() ([]string, error) {
	h, err := processHandle()
	if err != nil {
		return nil, err
	}
	defer h.Close()
	var lines []string
	links, err := nsops.RetryDump(h.LinkList)
	if err != nil {
		return nil, fmt.Errorf("cannot list links of host network namespace, reason: %w", err)
	}
	for _, l := range links {
		a := l.Attrs()
		lines = append(lines, fmt.Sprintf("link %d %s type=%s mtu=%d flags=%s master=%d",
			a.Index, a.Name, l.Type(), a.MTU, a.Flags, a.MasterIndex))
	}
	addrs, err := nsops.RetryDump(func() ([]netlink.Addr, error) { return h.AddrList(nil, netlink.FAMILY_ALL) })
	if err != nil {
		return nil, fmt.Errorf("cannot list addresses of host network namespace, reason: %w", err)
	}
	for _, a := range addrs {
		lines = append(lines, fmt.Sprintf("addr %d %s", a.LinkIndex, a.IPNet))
	}
	routes, err := nsops.RetryDump(func() ([]netlink.Route, error) {
		return h.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	})
	if err != nil {
		return nil, fmt.Errorf("cannot list routes of host network namespace, reason: %w", err)
	}
	for _, r := range routes {
		lines = append(lines, fmt.Sprintf("route table=%d dst=%v gw=%v dev=%d proto=%d", r.Table, r.Dst, r.Gw, r.LinkIndex, r.Protocol))
	}
	slices.Sort(lines)
	return slices.Compact(lines), nil
}

// processHandle opens a handle in the process's network namespace, whatever
// thread asks.
func processHandle() (*netlink.Handle, error) {
	fd, err := nsops.OpenPath(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Getpid()))
	if err != nil {
		return nil, fmt.Errorf("cannot open the process's network namespace, reason: %w", err)
	}
	defer unix.Close(fd)
	h, err := nsops.RouteHandleAt(fd)
	if err != nil {
		return nil, fmt.Errorf("cannot open netlink handle in the process's network namespace, reason: %w", err)
	}
	return h, nil
}

// NewFDs lists the fds of now that before did not have, or had for
// something else: new fds are leaks, closed ones are not. Each is
// "fd -> target", then what [DescribeFD] tells about it.
func NewFDs(before, now map[int]string) []string {
	var leaked []string
	for fd, target := range now {
		if prev, ok := before[fd]; !ok || prev != target {
			line := fmt.Sprintf("%d -> %s", fd, target)
			if what := DescribeFD(fd, target); what != "" {
				line += " (" + what + ")"
			}
			leaked = append(leaked, line)
		}
	}
	slices.SortFunc(leaked, func(a, b string) int { return cmp.Compare(fdOf(a), fdOf(b)) })
	return leaked
}

func fdOf(line string) int {
	fd, _ := strconv.Atoi(line[:strings.IndexByte(line, ' ')])
	return fd
}

// HostDiff says how the host snapshot now differs from before, one line
// each: "added: ...", "removed: ..." and, for a link whose index and name
// stayed but whose type, MTU, flags or master changed, "changed: before
// -> now". It is empty when nothing changed.
func HostDiff(before, now []string) []string {
	key := func(line string) string {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "link" {
			return strings.Join(f[:3], " ")
		}
		return line
	}
	was := map[string]string{}
	for _, l := range before {
		was[key(l)] = l
	}
	is := map[string]string{}
	for _, l := range now {
		is[key(l)] = l
	}
	var diff []string
	for _, l := range before {
		if n, ok := is[key(l)]; !ok {
			diff = append(diff, "removed: "+l)
		} else if n != l {
			diff = append(diff, "changed: "+l+" -> "+n)
		}
	}
	for _, l := range now {
		if _, ok := was[key(l)]; !ok {
			diff = append(diff, "added: "+l)
		}
	}
	return diff
}

// NewLines lists the lines of now that before lacks.
func NewLines(before, now []string) []string {
	var added []string
	for _, l := range now {
		if !slices.Contains(before, l) {
			added = append(added, l)
		}
	}
	return added
}
