package netns

import (
	"fmt"
	"strings"
	"sync"

	"github.com/scratchnet/scratchnet/internal/diag"
	"github.com/scratchnet/scratchnet/internal/nsops"
)

// reportLines is how many last lines of each output stream a report shows.
const reportLines = 10

var (
	processesMu sync.Mutex
	processes   = map[uint64][]*Process{} // by namespace inode, in start order
)

func init() {
	diag.AddSection("processes", processLines)
}

func register(p *Process) {
	processesMu.Lock()
	defer processesMu.Unlock()
	processes[p.ino] = append(processes[p.ino], p)
}

func unregister(p *Process) {
	processesMu.Lock()
	defer processesMu.Unlock()
	list := processes[p.ino]
	for i, q := range list {
		if q == p {
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(processes, p.ino)
		return
	}
	processes[p.ino] = list
}

// processLines describes the processes started in the namespace nsFd
// refers to, for a failure report: pid, state, command line, output tails.
func processLines(nsFd int) []string {
	ino, err := nsops.Ino(nsFd)
	if err != nil {
		return nil
	}
	processesMu.Lock()
	list := append([]*Process(nil), processes[ino]...)
	processesMu.Unlock()
	var lines []string
	for _, p := range list {
		lines = append(lines, fmt.Sprintf("pid %d %s: %s", p.Pid(), p.Status(), p.line))
		for _, s := range []struct {
			name string
			t    *tail
		}{{"stdout", p.stdout}, {"stderr", p.stderr}} {
			if s.t == nil {
				continue
			}
			out := lastLines(s.t.String(), reportLines)
			if out == "" {
				continue
			}
			lines = append(lines, "  "+s.name+":")
			for _, l := range strings.Split(out, "\n") {
				lines = append(lines, "    "+l)
			}
		}
	}
	return lines
}
