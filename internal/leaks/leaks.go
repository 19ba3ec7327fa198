// Package leaks takes the snapshots that the guard package compares before
// and after a spec or suite: the process's open file descriptors and the
// network namespace of each of its threads (the host network namespace's
// state is package snapshot's). Every function returns an error and leaves
// reporting to its caller.
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

	"golang.org/x/sys/unix"
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
