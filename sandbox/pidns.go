package sandbox

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	isandbox "github.com/scratchnet/scratchnet/internal/sandbox"
)

// setupEnv tells the child, just started by the parent, that it has the
// setup pipes and whether it is pid 1 of a PID namespace of its own
// ("pidns") or not ("plain"). The child removes it from its environment, so
// that a process the tests start never mistakes the descriptors it
// inherited for those pipes.
const setupEnv = "SCRATCHNET_SANDBOX_SETUP"

// inPidns is set in the child when it is the init of its PID namespace.
var inPidns bool

// setupFd is the child's end of the pipe on which it says that it cannot
// live in its PID namespace, the second of exec.Cmd's ExtraFiles.
const setupFd = 4

// hostPidFd is the child's end of the pipe on which the parent tells it its
// pid as the host sees it, the third of exec.Cmd's ExtraFiles.
const hostPidFd = 5

// HostPid returns the test binary's process id as the host sees it, for
// "nsenter -t PID" on the host: in the sandbox's PID namespace the test
// binary is pid 1. Unsandboxed, it is os.Getpid().
func HostPid() int { return isandbox.HostPid() }

// errNoPidns says that the child could not make its PID namespace usable.
var errNoPidns = errors.New("cannot mount a /proc for the sandbox's PID namespace")

// setupWatch is the parent's end of that pipe.
type setupWatch struct {
	r, w       *os.File
	pidR, pidW *os.File
}

// watchSetup passes the child the pipe's write end and, with pidns, tells
// it that it runs in a PID namespace of its own.
//
// In a PID namespace of its own the test binary is the namespace's init:
// when it ends, however it ends (a SIGKILL, a crash), the kernel kills every
// process left in the namespace, so no daemon a test started, nor any of its
// descendants, outlives the test binary.
func watchSetup(cmd *exec.Cmd, pidns bool) (*setupWatch, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("cannot make a pipe, reason: %w", err)
	}
	pidR, pidW, err := os.Pipe()
	if err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("cannot make a pipe, reason: %w", err)
	}
	cmd.ExtraFiles = append(cmd.ExtraFiles, w, pidR)
	if pidns {
		cmd.Env = append(cmd.Env, setupEnv+"=pidns")
	} else {
		cmd.Env = append(cmd.Env, setupEnv+"=plain")
	}
	return &setupWatch{r: r, w: w, pidR: pidR, pidW: pidW}, nil
}

// started waits until the started child has prepared its namespaces and
// returns errNoPidns, after reaping the child, when it could not.
func (s *setupWatch) started(cmd *exec.Cmd) error {
	s.pidR.Close()
	fmt.Fprint(s.pidW, cmd.Process.Pid)
	s.pidW.Close()
	s.w.Close()
	msg, _ := io.ReadAll(s.r)
	if len(msg) == 0 {
		return nil
	}
	_ = cmd.Wait()
	return fmt.Errorf("%w: %s", errNoPidns, strings.TrimSpace(string(msg)))
}

func (s *setupWatch) Close() {
	s.r.Close()
	s.w.Close()
	s.pidR.Close()
	s.pidW.Close()
}

// takeSetup runs in the child: it reports whether the parent has just
// started this process with the setup pipes, and removes the word.
func takeSetup() (fresh, pidns bool) {
	setup := os.Getenv(setupEnv)
	os.Unsetenv(setupEnv)
	return setup != "", setup == "pidns"
}

// readHostPid runs in the child and learns its pid on the host.
func readHostPid() {
	f := os.NewFile(hostPidFd, "host pid")
	b, _ := io.ReadAll(f)
	f.Close()
	pid, _ := strconv.Atoi(string(b))
	isandbox.SetHostPid(pid)
}

// enterPidns runs in the child, after mount propagation to the host has
// been stopped (errStop says why it could not be). In a PID namespace of its
// own the child needs a /proc of that namespace: /proc/self and every pid
// the child sees must agree. When that cannot be (the kernel refuses the
// mount in an unprivileged user namespace under a /proc with masked paths,
// as in some containers), the child says so and exits, and the parent
// starts it again without a PID namespace. The pipe is closed either way,
// so that no child of the tests inherits it.
func enterPidns(pidns bool, errStop error) {
	defer unix.Close(setupFd)
	if !pidns {
		return
	}
	err := errStop
	if err == nil {
		err = unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
	}
	if err != nil {
		fmt.Fprintf(os.NewFile(setupFd, "setup"), "mount of proc on /proc failed: %v\n", err)
		syscall.Exit(125)
	}
	inPidns = true
}

// InPidns reports whether the sandboxed test binary is the init of a PID
// namespace of its own, so that every process it leaves dies with it.
func InPidns() bool { return inPidns }
