package lab

import (
	"maps"
	"slices"

	"github.com/scratchnet/scratchnet/capture"
	"github.com/scratchnet/scratchnet/internal/diag"
)

// Capture captures every interface of the lab's hosts, from now until the
// lab's teardown: those they have and those they get later, one pcapng file
// per interface named after host and interface (alice-router.pcapng). Call
// it right after [New] to capture from the start. The options apply to
// every capture. When the test fails the files are kept together with the
// lab's Mermaid diagram, topology.mmd, and the report of each host shows
// its interfaces' last packets; when it passes they are removed. See the
// capture package.
func (l *Lab) Capture(opts ...capture.Opt) {
	l.t.Helper()
	l.mu.Lock()
	l.capturing = true
	l.captureOpts = opts
	hosts := make([]*Host, 0, len(l.hosts))
	for _, name := range slices.SortedFunc(maps.Keys(l.hosts), diag.NaturalCompare) {
		hosts = append(hosts, l.hosts[name])
	}
	l.mu.Unlock()
	for _, h := range hosts {
		for _, i := range h.Ifaces() {
			i.Capture(opts...)
		}
	}
}

// Capture captures this interface from now until the lab's teardown, into
// a pcapng file named after its host and itself, and returns the capture;
// an interface already captured returns its capture and ignores opts. See
// [Lab.Capture].
func (i *Iface) Capture(opts ...capture.Opt) *capture.Capture {
	l := i.Host.lab
	l.t.Helper()
	l.mu.Lock()
	c, ok := l.captures[i]
	first := len(l.captures) == 0
	l.mu.Unlock()
	if ok {
		return c
	}
	if first {
		capture.AddFileT(l.t, "topology.mmd", func() []byte { return []byte(l.Mermaid()) })
	}
	c = capture.StartT(l.t, i.Host.netns, i.Name(), append([]capture.Opt{capture.WithName(i.Host.Name)}, opts...)...)
	l.mu.Lock()
	l.captures[i] = c
	l.mu.Unlock()
	return c
}

// captureIfCapturing captures a new interface of a lab that captures all.
func (l *Lab) captureIfCapturing(i *Iface) {
	l.mu.Lock()
	on, opts := l.capturing, l.captureOpts
	l.mu.Unlock()
	if on {
		i.Capture(opts...)
	}
}
