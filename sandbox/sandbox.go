package sandbox

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/gofunc"
	"github.com/scratchnet/scratchnet/internal/nsops"
	isandbox "github.com/scratchnet/scratchnet/internal/sandbox"
)

// Env turns the sandbox off when set to "off".
const Env = "SCRATCHNET_SANDBOX"

// hostFd is the child's fd for the network namespace the parent ran in,
// the first of exec.Cmd's ExtraFiles.
const hostFd = 3

// Mode says how a test binary runs.
type Mode = isandbox.Mode

const (
	// Off: the tests run in the caller's namespaces, as the caller.
	Off = isandbox.Off
	// NetNS: the tests run as root in a network namespace of their own.
	NetNS = isandbox.NetNS
	// UserNS: the tests run as root of a user namespace of their own,
	// mapped to the unprivileged caller, in a network namespace it owns.
	UserNS = isandbox.UserNS
)

// Current returns how the running test binary is sandboxed.
func Current() Mode { return isandbox.Current() }

// HostNetns returns an fd referring to the network namespace the test binary
// was started in, the real host's, when the tests run sandboxed, and -1
// otherwise. The fd stays open for the life of the process; the caller must
// not close it. In an unprivileged sandbox the tests may look at that
// namespace through the fd but not enter or change it.
func HostNetns() int {
	if Current() == Off {
		return -1
	}
	return hostFd
}

// Main runs the tests of m in a sandbox, if it can, and exits with their
// status. Call it from TestMain; it does not return.
//
// In a test binary re-executed to run a registered Go function
// (netns.FuncCommand), Main runs that function instead and exits with its
// status: the process already lives in the namespace it was started in,
// inside the sandbox of the test binary that started it.
func Main(m *testing.M) {
	gofunc.Main()
	status, delegated := run(m)
	if delegated {
		// This process ran no test itself: leave at once, without the pause
		// the race detector makes at exit (a second per process, which the
		// child already made) and without flushing coverage counters that
		// were never touched.
		syscall.Exit(status)
	}
	os.Exit(status)
}

// run runs the tests, in a sandboxed child where it can, and says whether it
// delegated them to one.
func run(m *testing.M) (int, bool) {
	if Current() != Off {
		if err := enterChild(); err != nil {
			fmt.Fprintf(os.Stderr, "scratchnet sandbox: cannot prepare sandbox, reason: %v\n", err)
			return 2, false
		}
		return m.Run(), false
	}
	if os.Getenv(Env) == "off" {
		return m.Run(), false
	}
	mode := UserNS
	if os.Geteuid() == 0 {
		mode = NetNS
	}
	status, err := runChild(mode, true)
	if errors.Is(err, errNoPidns) {
		fmt.Fprintf(os.Stderr, "scratchnet sandbox: running without a PID namespace of its own, reason: %v\n", err)
	}
	if errors.Is(err, errNoPidns) || errors.Is(err, errCannotSandbox) {
		// A kernel or a seccomp filter may refuse PID namespaces alone.
		status, err = runChild(mode, false)
	}
	if errors.Is(err, errCannotSandbox) {
		fmt.Fprintf(os.Stderr, "scratchnet sandbox: running unsandboxed, reason: %v\n", err)
		return m.Run(), false
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "scratchnet sandbox: cannot run sandboxed tests, reason: %v\n", err)
		return 2, false
	}
	return status, true
}

var errCannotSandbox = errors.New("cannot create the sandbox's namespaces")

// runChild re-executes the test binary in the new namespaces, in a PID
// namespace of its own too if pidns is set, and returns its exit status.
func runChild(mode Mode, pidns bool) (int, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, fmt.Errorf("cannot find the test binary, reason: %w", err)
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Args[0] = os.Args[0]
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), isandbox.ModeEnv+"="+string(mode))
	attr := &syscall.SysProcAttr{
		// A mount namespace too, for a /run/netns of its own.
		Cloneflags: syscall.CLONE_NEWNET | syscall.CLONE_NEWNS,
		// The child must not outlive a parent killed without a chance to
		// pass the signal on.
		Pdeathsig: syscall.SIGKILL,
		// A process group of its own: a terminal's SIGINT reaches the
		// parent only, which passes it on once.
		Setpgid: true,
	}
	if mode == UserNS {
		attr.Cloneflags |= syscall.CLONE_NEWUSER
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}
		attr.GidMappingsEnableSetgroups = false
	}
	if pidns {
		attr.Cloneflags |= syscall.CLONE_NEWPID
	}
	cmd.SysProcAttr = attr
	host, err := os.Open("/proc/self/ns/net")
	if err != nil {
		return 0, fmt.Errorf("cannot open the host network namespace, reason: %w", err)
	}
	defer host.Close()
	cmd.ExtraFiles = []*os.File{host}
	setup, err := watchSetup(cmd, pidns)
	if err != nil {
		return 0, err
	}
	defer setup.Close()

	relay, err := startRelay(cmd)
	if err != nil {
		return 0, err
	}
	defer relay.close()

	// Caught before the child starts: once it runs, a SIGINT or SIGTERM
	// must reach it through this process, not kill this process first (the
	// child would then die of its Pdeathsig without its interrupt report).
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, unix.SIGINT, unix.SIGTERM)
	defer signal.Stop(signals)
	if err := cmd.Start(); err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EACCES) {
			return 0, fmt.Errorf("%w: %w", errCannotSandbox, err)
		}
		return 0, fmt.Errorf("cannot start sandboxed test binary, reason: %w", err)
	}
	if err := setup.started(cmd); err != nil {
		return 0, err
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	for {
		select {
		case sig := <-signals:
			_ = cmd.Process.Signal(sig)
		case err := <-waited:
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
					return 128 + int(ws.Signal()), nil
				}
				return exit.ExitCode(), nil
			}
			if err != nil {
				return 0, err
			}
			return 0, nil
		}
	}
}

// enterChild prepares the sandbox from inside: its fresh network namespace
// has lo down, and both the tests and the relay need loopback; its mount
// namespace gets a /run/netns of its own and, in a PID namespace, a /proc.
// A test binary that a test re-executes with this environment runs in the
// sandbox already and prepares nothing but loopback.
func enterChild() error {
	fresh, pidns := takeSetup()
	if fresh {
		readHostPid()
	}
	if err := nsops.LoUp(); err != nil {
		return err
	}
	if fresh {
		errStop := stopPropagation()
		if errStop == nil {
			if err := mountRunNetns(); err != nil {
				fmt.Fprintf(os.Stderr, "scratchnet sandbox: running without a /run/netns of its own, reason: %v\n", err)
			}
		}
		enterPidns(pidns, errStop)
	}
	return serveRelay()
}
