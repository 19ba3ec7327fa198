package netns

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"

	"github.com/scratchnet/scratchnet/internal/diag"
	"github.com/scratchnet/scratchnet/internal/gofunc"
	"github.com/scratchnet/scratchnet/internal/nsops"
)

// reportLines is how many last lines of each output stream a report shows.
const reportLines = 10

var (
	processesMu sync.Mutex
	processes   = map[uint64][]*Process{} // by namespace inode, in start order
	setEnvs     = map[*Process]string{}   // what each was given beyond the test's environment
)

func init() {
	diag.AddSection("processes", processLines)
}

func register(p *Process) {
	env := setEnv(p.Cmd, os.Environ())
	processesMu.Lock()
	defer processesMu.Unlock()
	processes[p.ino] = append(processes[p.ino], p)
	if env != "" {
		setEnvs[p] = env
	}
}

// setEnv renders, as "env NAME=value ... " to put before the command line,
// the variables cmd runs with that the test's environment inherited lacks
// or has with another value: what tells a CNI plugin's ADD from its DEL.
// Variables the command goes without are not shown.
func setEnv(cmd *exec.Cmd, inherited []string) string {
	if cmd.Env == nil && cmd.Dir == "" {
		return ""
	}
	had := map[string]string{}
	for _, kv := range inherited {
		if k, v, ok := strings.Cut(kv, "="); ok {
			had[k] = v
		}
	}
	words := []string{"env"}
	for _, kv := range cmd.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if k == gofunc.RanEnv {
			continue // the library's own, for a function process
		}
		if old, ok := had[k]; !ok || old != v {
			words = append(words, kv)
		}
	}
	if len(words) == 1 {
		return ""
	}
	return commandLine(&exec.Cmd{Args: words}) + " "
}

func unregister(p *Process) {
	processesMu.Lock()
	defer processesMu.Unlock()
	delete(setEnvs, p)
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
// refers to, for a failure report: pid, state, the environment it was given
// beyond the test's, command line, output tails.
func processLines(nsFd int) []string {
	ino, err := nsops.Ino(nsFd)
	if err != nil {
		return nil
	}
	processesMu.Lock()
	list := append([]*Process(nil), processes[ino]...)
	envs := make([]string, len(list))
	for i, p := range list {
		envs[i] = setEnvs[p]
	}
	processesMu.Unlock()
	var lines []string
	for i, p := range list {
		lines = append(lines, fmt.Sprintf("pid %d %s: %s%s", p.Pid(), p.Status(), envs[i], p.line))
		for _, s := range []struct {
			name string
			t    *tail
		}{{"stdout", p.stdout}, {"stderr", p.stderr}} {
			if s.t == nil {
				continue
			}
			out, _ := p.streamOutput(s.name, s.t, reportLines)
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
