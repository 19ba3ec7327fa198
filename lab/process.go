package lab

import (
	"fmt"
	"os/exec"

	"github.com/scratchnet/scratchnet/netns"
)

// Start starts cmd inside the host's network namespace, as [netns.Start]
// does, and returns at once. The process group is stopped (SIGTERM, a grace
// period, SIGKILL) and reaped at the end of the node that called Start
// (plain testing: at the end of the lab's test), before the lab is torn
// down if the lab was made in the same node; processes name the host in
// messages and show in the host's part of a failure report. Their
// [netns.Process.Wait] returns the exit status once the process has ended
// and its kept output is complete.
func (h *Host) Start(cmd *exec.Cmd, opts ...netns.ProcessOpt) *netns.Process {
	h.lab.t.Helper()
	return netns.StartT(h.lab.t, h.netns, cmd, h.processOpts(opts)...)
}

// Run runs cmd to completion inside the host's network namespace, as
// [netns.Run] does, and fails the spec when it exits with a non-zero status
// or by a signal.
func (h *Host) Run(cmd *exec.Cmd, opts ...netns.ProcessOpt) *netns.Process {
	h.lab.t.Helper()
	return netns.RunT(h.lab.t, h.netns, cmd, h.processOpts(opts)...)
}

// Output runs cmd as [Host.Run] does and returns its standard output.
func (h *Host) Output(cmd *exec.Cmd, opts ...netns.ProcessOpt) string {
	h.lab.t.Helper()
	return netns.OutputT(h.lab.t, h.netns, cmd, h.processOpts(opts)...)
}

// WaitListening waits until a socket in the host's namespace listens on
// port, as [netns.WaitListening] does.
func (h *Host) WaitListening(network string, port int, opts ...netns.WaitOpt) {
	h.lab.t.Helper()
	netns.WaitListeningT(h.lab.t, h.netns, network, port, opts...)
}

// Pin gives the host's namespace a name under /run/netns for external
// tools ("ip -n NAME", "ip netns exec NAME", "nsenter
// --net=/run/netns/NAME") and returns it: the host's name in the sandbox,
// which has a /run/netns of its own, and the host's name with a unique
// suffix where /run/netns is shared (see [netns.Pin]). The name is removed
// when the node that called Pin ends.
func (h *Host) Pin() string {
	h.lab.t.Helper()
	return netns.PinT(h.lab.t, h.netns, h.Name)
}

func (h *Host) processOpts(opts []netns.ProcessOpt) []netns.ProcessOpt {
	return append([]netns.ProcessOpt{netns.WithNamespaceName(fmt.Sprintf("host %q", h.Name))}, opts...)
}

// StartFunc starts the Go function registered under name
// ([netns.RegisterFunc]) with args inside the host's network namespace, as
// [netns.StartFunc] does, and returns at once: the test binary re-executed,
// with every goroutine of the function, and every socket it opens, in the
// host's namespace. The process is stopped as [Host.Start]'s are. Run such a
// function to completion with h.Run(netns.FuncCommand(name, args...)).
func (h *Host) StartFunc(name string, args []string, opts ...netns.ProcessOpt) *netns.Process {
	h.lab.t.Helper()
	return netns.StartFuncT(h.lab.t, h.netns, name, args, h.processOpts(opts)...)
}
