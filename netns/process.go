package netns

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	. "github.com/onsi/ginkgo/v2"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/gofunc"
	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/internal/scope"
	"github.com/scratchnet/scratchnet/mntns"
)

// DefaultGracePeriod is how long the cleanup of a process waits after
// SIGTERM before it sends SIGKILL, unless [WithGracePeriod] says otherwise.
const DefaultGracePeriod = 2 * time.Second

// Process is a command started inside a network namespace by [Start], [Run]
// or [Output]. It is stopped and reaped by the cleanup of the node that
// started it; the caller must not call Cmd.Wait ([Process.Wait] waits for
// its end without reaping it).
type Process struct {
	// Cmd is the command as it was started; Cmd.Process is set.
	Cmd *exec.Cmd

	t     testing.TB
	where string
	nsfd  int // a duplicate of the namespace fd, closed at cleanup
	ino   uint64
	line  string
	grace time.Duration

	stdout, stderr *tail
	pipes          []*pipe // carry the kept streams into stdout and stderr, and ran's
	ran            *tail   // for a function process: written to once the function is about to run
	fn             string  // the function a function process runs

	exited chan struct{} // closed once the process has ended and its kept output is complete (not yet reaped)
	reap   chan struct{} // closed to have the forking goroutine reap it
	reaped chan struct{} // closed once reaped
	once   sync.Once

	mu     sync.Mutex
	status string // how it ended, for messages; empty while it runs
	code   int    // the exit status, -1 after a signal
}

// ProcessOpt configures how [Start], [Run] and [Output] run a command.
type ProcessOpt func(*processOptions) error

type processOptions struct {
	grace time.Duration
	sysfs bool
	where string
}

// WithGracePeriod sets how long the cleanup waits between SIGTERM and
// SIGKILL; the default is [DefaultGracePeriod].
func WithGracePeriod(d time.Duration) ProcessOpt {
	return func(o *processOptions) error {
		if d < 0 {
			return fmt.Errorf("WithGracePeriod(%s): a grace period cannot be negative", d)
		}
		o.grace = d
		return nil
	}
}

// WithSysfs runs the command with a /sys that shows its network namespace,
// in a mount namespace of its own (see package mntns), for tools that read
// /sys/class/net. The host's mounts are not touched.
func WithSysfs() ProcessOpt {
	return func(o *processOptions) error {
		o.sysfs = true
		return nil
	}
}

// WithNamespaceName names the namespace in messages and reports, such as
// `host "alice"`; by default they name it as every message does, by the
// name [WithName] or a lab gave it, if any, and its inode number.
func WithNamespaceName(name string) ProcessOpt {
	return func(o *processOptions) error {
		if strings.TrimSpace(name) == "" {
			return errors.New(`WithNamespaceName(""): the name is empty`)
		}
		o.where = name
		return nil
	}
}

// Start starts cmd inside the network namespace netnsfd refers to and
// returns at once. The child is forked from an OS thread in that namespace,
// in a process group of its own, with no descriptors of the test binary
// besides the standard streams and cmd.ExtraFiles (descriptors the test
// binary inherited without close-on-exec are marked close-on-exec first);
// Stdin defaults to /dev/null. When cmd.Stdout or cmd.Stderr is nil, the
// stream goes into a pipe of the library's own and its last 64 KiB are kept,
// readable through [Process.Stdout] and [Process.Stderr], and shown in
// failure reports.
//
// At the end of the current node the process group gets SIGTERM, then,
// after the grace period ([WithGracePeriod]) if the process still runs,
// SIGKILL. Once the process has ended, it is reaped at that cleanup or when
// [Run], [Output] or a failed wait needs its final output; whatever it left
// running in its process group is killed then, and waited for (a second at
// most) until it has ended and so released its sockets. The child also dies with the test
// binary (SIGKILL as parent-death signal): the thread that forked it stays
// alive, locked, until it is reaped. A child that leaves its process group
// (setsid, a daemon's double fork) escapes the group signals; run daemons in
// the foreground.
//
// netnsfd stays owned by the caller. cmd must not have been started, and
// its SysProcAttr, if set, must not ask for another process group.
func Start(netnsfd int, cmd *exec.Cmd, opts ...ProcessOpt) *Process {
	GinkgoHelper()
	return StartT(GinkgoTB(), netnsfd, cmd, opts...)
}

// StartT is [Start] for plain testing users.
func StartT(t testing.TB, netnsfd int, cmd *exec.Cmd, opts ...ProcessOpt) *Process {
	t.Helper()
	p, err := start(t, netnsfd, cmd, opts)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return p
}

// Run runs cmd to completion inside the network namespace netnsfd refers
// to, as [Start] starts it, and fails the current spec when it exits with a
// non-zero status or is killed by a signal; the message holds the command
// line, the status and the tail of its output. Whatever the command left
// running in its process group is killed when it ends.
func Run(netnsfd int, cmd *exec.Cmd, opts ...ProcessOpt) *Process {
	GinkgoHelper()
	return RunT(GinkgoTB(), netnsfd, cmd, opts...)
}

// RunT is [Run] for plain testing users.
func RunT(t testing.TB, netnsfd int, cmd *exec.Cmd, opts ...ProcessOpt) *Process {
	t.Helper()
	p := StartT(t, netnsfd, cmd, opts...)
	p.finish()
	if p.Failed() {
		t.Fatalf("cannot run %s in %s, reason: it %s%s", p.line, p.where, p.Status(), p.tails())
	}
	return p
}

// Output runs cmd as [Run] does and returns what it wrote to its standard
// output; cmd.Stdout must be nil.
func Output(netnsfd int, cmd *exec.Cmd, opts ...ProcessOpt) string {
	GinkgoHelper()
	return OutputT(GinkgoTB(), netnsfd, cmd, opts...)
}

// OutputT is [Output] for plain testing users.
func OutputT(t testing.TB, netnsfd int, cmd *exec.Cmd, opts ...ProcessOpt) string {
	t.Helper()
	if cmd != nil && cmd.Stdout != nil {
		t.Fatalf("cannot run %s for its output, reason: Stdout is already set", commandLine(cmd))
	}
	return RunT(t, netnsfd, cmd, opts...).Stdout()
}

// Pid returns the process id.
func (p *Process) Pid() int { return p.Cmd.Process.Pid }

// Stdout returns the last 64 KiB the process wrote to its standard output,
// or "" when the caller set cmd.Stdout.
func (p *Process) Stdout() string { return p.stdout.String() }

// Stderr returns the last 64 KiB the process wrote to its standard error,
// or "" when the caller set cmd.Stderr.
func (p *Process) Stderr() string { return p.stderr.String() }

// Exited returns a channel that is closed once the process has ended and
// everything it wrote to its kept output streams before it ended is kept:
// after the channel is closed, [Process.Stdout] and [Process.Stderr] hold
// its whole output (up to their 64 KiB). What is left running in its
// process group may still add to them until the cleanup.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Wait waits until the process has ended and its kept output is complete, as
// [Process.Exited] tells, and returns its exit status: the status it passed
// to exit, or -1 when a signal ended it ([Process.Status] says which signal)
// or its status could not be read. It neither stops the process nor kills
// what the process left running in its process group; the cleanup does
// that. Called again, or after the cleanup stopped the process, it returns
// the same status at once.
//
// When the timeout ([WithTimeout]; the default is [DefaultWaitTimeout])
// passes first, Wait fails the spec, or the test the process was started for
// by [StartT], with a message naming the process, its namespace and the tail
// of its output, and the process goes on to be stopped at the cleanup. It
// never panics on its own; in Ginkgo the failure ends the spec as every
// failed assertion does.
func (p *Process) Wait(opts ...WaitOpt) int {
	p.t.Helper()
	code, err := p.wait(opts)
	if err != nil {
		p.t.Fatalf("%v", err)
	}
	return code
}

func (p *Process) wait(opts []WaitOpt) (int, error) {
	o, err := waitOpts(opts)
	if err != nil {
		return -1, fmt.Errorf("cannot wait for %s in %s to end, reason: %v", p, p.where, err)
	}
	select {
	case <-p.exited:
	default:
		// Only a process still running waits, and only then can the
		// timeout win: select picks at random between ready cases.
		timer := time.NewTimer(o.timeout)
		defer timer.Stop()
		select {
		case <-p.exited:
		case <-timer.C:
			return -1, fmt.Errorf("cannot wait for %s in %s to end, reason: it still ran after %s%s", p, p.where, o.timeout, p.tails())
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.code, nil
}

// Status says how the process ended ("exited with status 0", "was killed
// by signal 9 (killed)"), or "is running".
func (p *Process) Status() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.status == "" {
		return "is running"
	}
	return p.status
}

// Failed reports whether the process has ended with a non-zero status or by
// a signal.
func (p *Process) Failed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status != "" && p.code != 0
}

// String names the process in messages: its pid and command line.
func (p *Process) String() string {
	return fmt.Sprintf("process %d (%s)", p.Pid(), p.line)
}

func start(t testing.TB, netnsfd int, cmd *exec.Cmd, opts []ProcessOpt) (*Process, error) {
	if cmd == nil {
		return nil, errors.New("cannot start a process, reason: the command is nil")
	}
	line := commandLine(cmd)
	fail := func(format string, args ...any) error {
		return fmt.Errorf("cannot start %s in %s, reason: %s", line, nsops.Describe(netnsfd), fmt.Sprintf(format, args...))
	}
	o := processOptions{grace: DefaultGracePeriod, where: nsops.Describe(netnsfd)}
	for _, opt := range opts {
		if opt == nil {
			return nil, fail("an option is nil")
		}
		if err := opt(&o); err != nil {
			return nil, fail("%v", err)
		}
	}
	fail = func(format string, args ...any) error {
		return fmt.Errorf("cannot start %s in %s, reason: %s", line, o.where, fmt.Sprintf(format, args...))
	}
	if cmd.Process != nil {
		return nil, fail("the command was started already")
	}
	fn, isFunc := funcName(cmd)
	if isFunc {
		if err := gofunc.Check(fn); err != nil {
			return nil, fail("%v", err)
		}
	}
	ino, err := nsops.Ino(netnsfd)
	if err != nil {
		return nil, fail("%v", err)
	}
	nsfd, err := nsops.Dup(netnsfd)
	if err != nil {
		return nil, fail("%v", err)
	}
	attr := &syscall.SysProcAttr{}
	if cmd.SysProcAttr != nil {
		copied := *cmd.SysProcAttr
		attr = &copied
	}
	if attr.Pgid != 0 || attr.Foreground {
		unix.Close(nsfd)
		return nil, fail("SysProcAttr asks for another process group; the process gets one of its own")
	}
	if !attr.Setsid {
		attr.Setpgid = true
	}
	if attr.Pdeathsig == 0 {
		attr.Pdeathsig = syscall.SIGKILL
	}
	cmd.SysProcAttr = attr
	p := &Process{
		Cmd: cmd, t: t, where: o.where, nsfd: nsfd, ino: ino, line: line, grace: o.grace,
		exited: make(chan struct{}), reap: make(chan struct{}), reaped: make(chan struct{}),
	}
	for _, s := range []struct {
		into *io.Writer
		keep **tail
	}{{&cmd.Stdout, &p.stdout}, {&cmd.Stderr, &p.stderr}} {
		if *s.into != nil {
			continue
		}
		pp, err := newPipe(newTail())
		if err != nil {
			p.closePipes()
			unix.Close(nsfd)
			return nil, fail("%v", err)
		}
		p.pipes = append(p.pipes, pp)
		*s.into, *s.keep = pp.w, pp.keep
	}
	if isFunc {
		// The re-executed binary writes into this pipe once it is about
		// to run the function: one that ends without doing so is told
		// apart from a function that failed.
		pp, err := newPipe(newTail())
		if err != nil {
			p.closePipes()
			unix.Close(nsfd)
			return nil, fail("%v", err)
		}
		p.pipes = append(p.pipes, pp)
		p.ran, p.fn = pp.keep, fn
		cmd.ExtraFiles = append(cmd.ExtraFiles, pp.w)
		cmd.Env = append(cmd.Environ(), fmt.Sprintf("%s=%d", gofunc.RanEnv, 2+len(cmd.ExtraFiles)))
	}
	if cmd.WaitDelay == 0 {
		// A grandchild that keeps open the pipes os/exec makes for
		// writers of the caller's must not keep the reaping waiting for
		// ever.
		cmd.WaitDelay = time.Second
	}
	if err := closeOnExecInherited(); err != nil {
		p.closePipes()
		unix.Close(nsfd)
		return nil, fail("%v", err)
	}
	started := make(chan error, 1)
	go p.fork(o.sysfs, started)
	if err := <-started; err != nil {
		p.closePipes()
		unix.Close(nsfd)
		return nil, fail("%v", err)
	}
	sc := scope.Of(t)
	release := scope.Hold(sc, ino)
	register(p)
	sc.Cleanup(t, func() {
		p.stop()
		unregister(p)
		unix.Close(p.nsfd)
		release()
	})
	return p, nil
}

// fork starts the command from the calling goroutine's thread, locked and
// in the namespace, and keeps that thread until the process is reaped: the
// kernel sends the parent-death signal when the forking thread ends, not
// the process.
func (p *Process) fork(sysfs bool, started chan<- error) {
	runtime.LockOSThread()
	if sysfs && unix.Gettid() == unix.Getpid() {
		// The thread is given up afterwards; never give up the main
		// thread (see package mntns). Holding it locked sends the next
		// goroutine to another thread.
		done := make(chan struct{})
		go func() {
			defer close(done)
			p.fork(sysfs, started)
		}()
		<-done
		runtime.UnlockOSThread()
		return
	}
	retire := sysfs
	var err error
	if sysfs {
		if err = mntns.EnterWithSysfs(p.nsfd); err == nil {
			err = p.Cmd.Start()
		}
	} else {
		retire, err = startIn(p.nsfd, p.Cmd, nsops.Do)
	}
	// The child has its copies of the write ends, if it started; the
	// reads see the end of file only once every copy is closed.
	for _, pp := range p.pipes {
		_ = pp.w.Close()
	}
	if err != nil {
		started <- err
		if !retire {
			runtime.UnlockOSThread()
		}
		return
	}
	for _, pp := range p.pipes {
		go pp.copy()
	}
	started <- nil
	p.waitExit()
	<-p.reap
	// The process is a zombie until reaped, so its pid, which is also its
	// group's id, cannot have been reused: the group signal reaches only
	// what it left behind.
	_ = unix.Kill(-p.Pid(), unix.SIGKILL)
	_ = p.Cmd.Wait()
	awaitGroupEnd(p.Pid())
	for _, pp := range p.pipes {
		pp.close()
	}
	close(p.reaped)
	if !retire {
		runtime.UnlockOSThread()
	}
}

// startIn starts cmd with the locked calling thread switched into the
// namespace by do ([nsops.Do]; specs pass one whose switch back fails), and
// says whether the thread must be given up. It must when do's error wraps
// [nsops.ErrRestore]: the thread is stuck in the namespace and do left it
// locked. It then stays with the process, if one started, and ends with the
// calling goroutine once the process is reaped; the error is then only the
// start's own.
func startIn(nsfd int, cmd *exec.Cmd, do func(int, func()) error) (retire bool, err error) {
	var startErr error
	if err := do(nsfd, func() { startErr = cmd.Start() }); err != nil {
		if errors.Is(err, nsops.ErrRestore) {
			return true, startErr
		}
		return false, err
	}
	return false, startErr
}

// waitExit waits until the process has ended, leaving it a zombie, records
// how it ended and keeps what it wrote before it ended.
func (p *Process) waitExit() {
	var info [128]byte
	for {
		_, _, errno := unix.Syscall6(unix.SYS_WAITID, unix.P_PID, uintptr(p.Pid()),
			uintptr(unsafe.Pointer(&info[0])), unix.WEXITED|unix.WNOWAIT, 0, 0)
		if errno == unix.EINTR {
			continue
		}
		p.mu.Lock()
		if errno != 0 {
			p.status, p.code = fmt.Sprintf("ended, but its status is unknown (%v)", errno), -1
		} else {
			p.status, p.code = describeExit(info)
		}
		p.mu.Unlock()
		for _, pp := range p.pipes {
			pp.drain()
		}
		if p.ran != nil && p.ran.String() == "" {
			p.mu.Lock()
			p.status += fmt.Sprintf(" before it ran function %q", p.fn)
			if p.code >= 0 {
				p.status += ": the test binary exited before it reached sandbox.Main, netns.FuncMain or the flag parsing of m.Run; call netns.FuncMain() first in TestMain"
			}
			p.mu.Unlock()
		}
		close(p.exited)
		return
	}
}

// groupEndWait bounds how long [awaitGroupEnd] waits for killed group
// members that are not the library's children.
const groupEndWait = time.Second

// awaitGroupEnd waits until no process of group pgid runs any more. A SIGKILL
// only starts a process's exit: until the kernel has released its files and
// made it a zombie it still holds its sockets, and a test that rebinds them
// right after the cleanup would collide with it. The members left after the
// leader was reaped are orphans that only their new parent can reap, so this
// reads their state from /proc instead of waiting on them; zombies count as
// ended. The group's id cannot be taken by a new process while any member is
// left, so the scan sees only what the library's child left behind.
func awaitGroupEnd(pgid int) {
	if unix.Kill(-pgid, 0) != nil {
		return
	}
	deadline := time.Now().Add(groupEndWait)
	for pause := 100 * time.Microsecond; groupRuns(pgid) && time.Now().Before(deadline); pause = min(2*pause, 10*time.Millisecond) {
		time.Sleep(pause)
	}
}

// groupRuns says whether /proc lists a process of group pgid that is neither
// a zombie nor being reaped.
func groupRuns(pgid int) bool {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return false
	}
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// After the parenthesised command name: state, ppid, pgrp.
		line := string(stat)
		fields := strings.Fields(line[strings.LastIndexByte(line, ')')+1:])
		if len(fields) < 3 || fields[0] == "Z" || fields[0] == "X" {
			continue
		}
		if g, err := strconv.Atoi(fields[2]); err == nil && g == pgid {
			return true
		}
	}
	return false
}

// describeExit reads si_code and si_status of a SIGCHLD siginfo: three ints,
// then a union aligned to a pointer, which starts with si_pid, si_uid and
// si_status. It returns the status for messages and the exit status, -1
// for a process a signal ended.
func describeExit(info [128]byte) (string, int) {
	code := *(*int32)(unsafe.Pointer(&info[8]))
	union := (12 + unsafe.Sizeof(uintptr(0)) - 1) &^ (unsafe.Sizeof(uintptr(0)) - 1)
	status := int(*(*int32)(unsafe.Pointer(&info[union+8])))
	switch code {
	case 1: // CLD_EXITED
		return fmt.Sprintf("exited with status %d", status), status
	case 2, 3: // CLD_KILLED, CLD_DUMPED
		return fmt.Sprintf("was killed by signal %d (%v)", status, unix.Signal(status)), -1
	}
	return fmt.Sprintf("ended (si_code %d, status %d)", code, status), -1
}

// closePipes closes both ends of the pipes of a process that did not start.
func (p *Process) closePipes() {
	for _, pp := range p.pipes {
		_ = pp.r.Close()
		_ = pp.w.Close()
	}
}

// finish reaps a process that ends on its own and waits for its output.
func (p *Process) finish() {
	<-p.exited
	p.once.Do(func() { close(p.reap) })
	<-p.reaped
}

// stop ends the process group: SIGTERM, the grace period, SIGKILL. It then
// reaps the process.
func (p *Process) stop() {
	select {
	case <-p.exited:
	default:
		_ = unix.Kill(-p.Pid(), unix.SIGTERM)
		timer := time.NewTimer(p.grace)
		select {
		case <-p.exited:
		case <-timer.C:
			_ = unix.Kill(-p.Pid(), unix.SIGKILL)
		}
		timer.Stop()
	}
	p.finish()
}

// tails renders the kept output for a message.
func (p *Process) tails() string {
	var b strings.Builder
	for _, s := range []struct {
		name string
		t    *tail
	}{{"stdout", p.stdout}, {"stderr", p.stderr}} {
		if s.t == nil {
			continue
		}
		out, whole := p.streamOutput(s.name, s.t, 20)
		switch {
		case out == "":
			fmt.Fprintf(&b, "\n%s: (empty)", s.name)
		case whole:
			fmt.Fprintf(&b, "\n%s (from the panic):\n%s", s.name, out)
		default:
			fmt.Fprintf(&b, "\n%s (last lines):\n%s", s.name, out)
		}
	}
	return b.String()
}

// closeOnExecInherited marks every descriptor above the standard streams
// close-on-exec. Go opens all of its own that way, but descriptors the test
// binary inherited without the flag would otherwise reach every child.
func closeOnExecInherited() error {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return fmt.Errorf("cannot list open descriptors, reason: %w", err)
	}
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd <= 2 {
			continue
		}
		// The descriptor ReadDir used is closed by now: EBADF.
		if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil && flags&unix.FD_CLOEXEC == 0 {
			_, _ = unix.FcntlInt(uintptr(fd), unix.F_SETFD, flags|unix.FD_CLOEXEC)
		}
	}
	return nil
}

// commandLine renders cmd's arguments for messages, quoting those that need
// it.
func commandLine(cmd *exec.Cmd) string {
	args := cmd.Args
	if len(args) == 0 {
		args = []string{cmd.Path}
	}
	quoted := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\$") {
			a = strconv.Quote(a)
		}
		quoted[i] = a
	}
	return strings.Join(quoted, " ")
}

// lastLines returns at most n last lines of s, without a final newline.
func lastLines(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("... (%d earlier lines)", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
