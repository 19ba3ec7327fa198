// Package sandbox holds what the public sandbox package knows about the
// running test binary and packages below it need too: how the binary is
// sandboxed and its process id on the host. The public package sets up the
// sandbox and re-exports these; failure reports (internal/diag) read them
// here, since the sandbox package sits above them.
package sandbox

import (
	"os"
	"sync/atomic"
)

// ModeEnv tells the sandboxed child which sandbox it runs in; the parent
// sets it.
const ModeEnv = "SCRATCHNET_SANDBOX_MODE"

// Mode says how a test binary runs; the public sandbox package documents
// the values.
type Mode string

// The modes, as the public sandbox package re-exports them.
const (
	Off    Mode = "off"
	NetNS  Mode = "netns"
	UserNS Mode = "userns"
)

// Current returns how the running test binary is sandboxed.
func Current() Mode {
	switch m := Mode(os.Getenv(ModeEnv)); m {
	case NetNS, UserNS:
		return m
	}
	return Off
}

// hostPid is the sandboxed test binary's pid in the host's PID namespace,
// 0 until the sandbox learns it.
var hostPid atomic.Int64

// SetHostPid records the test binary's pid as the host sees it; the
// sandbox calls it once, as the sandboxed child starts.
func SetHostPid(pid int) { hostPid.Store(int64(pid)) }

// HostPid returns the test binary's process id as the host sees it: the
// recorded one in the sandbox's PID namespace, os.Getpid() otherwise.
func HostPid() int {
	if pid := hostPid.Load(); pid > 0 {
		return int(pid)
	}
	return os.Getpid()
}
