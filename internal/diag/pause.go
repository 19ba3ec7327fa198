package diag

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/internal/sandbox"
	"github.com/scratchnet/scratchnet/internal/scope"
)

// PauseEnv, set to "1", pauses every failing test before its teardown so
// that a developer can look inside its namespaces.
const PauseEnv = "SCRATCHNET_PAUSE_ON_FAILURE"

// Pinner pins a namespace under /run/netns for the length of a pause and
// returns the name used; package netns sets it, since names are its
// business. Without it a pause offers nsenter lines only.
var Pinner func(nsFd int, name string) (pinned string, unpin func() error, err error)

// A pauser collects the namespaces one scope watches, to pause once for all
// of them.
type pauser struct {
	sources []func() []Target
}

var (
	pausersMu sync.Mutex
	pausers   = map[*scope.Scope]*pauser{}

	noTerminal sync.Once
)

// watchPause arranges for a pause before the teardown of scope sc if t has
// failed by then and PauseEnv is set.
func watchPause(t testing.TB, sc *scope.Scope, targets func() []Target) {
	if os.Getenv(PauseEnv) != "1" {
		return
	}
	pausersMu.Lock()
	p, ok := pausers[sc]
	if !ok {
		p = &pauser{}
		pausers[sc] = p
	}
	p.sources = append(p.sources, targets)
	pausersMu.Unlock()
	if ok {
		return
	}
	sc.BeforeTeardown(func() {
		pausersMu.Lock()
		delete(pausers, sc)
		pausersMu.Unlock()
		if t.Failed() {
			p.pause(t.Name())
		}
	})
}

// pause prints how to get into each namespace and waits for the user on
// the terminal; without one it says so, once per process, and goes on.
func (p *pauser) pause(test string) {
	var targets []Target
	for _, src := range p.sources {
		targets = append(targets, src()...)
	}
	if len(targets) == 0 {
		return
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		noTerminal.Do(func() {
			fmt.Fprintf(os.Stderr, "scratchnet: %s=1, but there is no terminal to wait on (%v): failing tests do not pause\n", PauseEnv, err)
		})
		return
	}
	defer tty.Close()
	var unpins []func() error
	defer func() {
		for _, unpin := range unpins {
			_ = unpin()
		}
	}()
	pid := sandbox.HostPid()
	enter, enterMnt := "nsenter ", ""
	switch sandbox.Current() {
	case sandbox.UserNS:
		enter = fmt.Sprintf("nsenter -t %d -U --preserve-credentials ", pid)
		enterMnt = fmt.Sprintf("nsenter -t %d -U -m --preserve-credentials ", pid)
	case sandbox.NetNS:
		enterMnt = fmt.Sprintf("nsenter -t %d -m ", pid)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nscratchnet: %q failed; paused before its teardown (%s=1).\n", test, PauseEnv)
	fmt.Fprintf(&b, "The test process is pid %d on the host (nsenter -t %d). To get in:\n", pid, pid)
	for _, tg := range targets {
		ino, err := nsops.Ino(tg.NsFd)
		if err != nil {
			continue
		}
		fmt.Fprintf(&b, "  %s (net:[%d]):\n", tg.Name, ino)
		fmt.Fprintf(&b, "    %s--net=/proc/%d/fd/%d sh\n", enter, pid, tg.NsFd)
		if Pinner == nil {
			continue
		}
		if name, unpin, err := Pinner(tg.NsFd, pinName(tg.Name, ino)); err == nil {
			unpins = append(unpins, unpin)
			fmt.Fprintf(&b, "    %sip netns exec %s sh\n", enterMnt, name)
		}
	}
	b.WriteString(captureHint())
	fmt.Fprintf(&b, "Press Enter here, or send SIGUSR1 or SIGINT (kill -USR1 %d), to tear down and go on.\n", pid)
	if _, err := tty.WriteString(b.String()); err != nil {
		return
	}
	waitForUser(tty)
}

// captureHint names a packet capture that works inside the namespaces from
// the printed lines. In a user namespace that maps less than every user,
// such as the rootless sandbox's, tcpdump fails at start: it changes to its
// own user, or the one -Z names, root too, and the kernel refuses the
// setgroups (or the unmapped user) that takes; tshark captures as the
// namespace's root.
func captureHint() string {
	if uidMap, err := os.ReadFile("/proc/self/uid_map"); err == nil && strings.Join(strings.Fields(string(uidMap)), " ") != "0 0 4294967295" {
		return "Capture there with tshark -i IFACE (tcpdump cannot change to its own user in this user namespace, not even with -Z root).\n"
	}
	return "Capture there with tcpdump -n -i IFACE (or tshark -i IFACE).\n"
}

var unsafeInName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// pinName makes a name for ip(8) from a target's name: "host alice" gives
// "alice", `transient network namespace "left"` gives "left".
func pinName(target string, ino uint64) string {
	if i := strings.IndexByte(target, '"'); i >= 0 {
		target = strings.Trim(target[i:], `"`)
	} else if f := strings.Fields(target); len(f) == 2 && (f[0] == "host" || f[0] == "segment") {
		target = f[1]
	} else {
		target = fmt.Sprintf("netns-%d", ino)
	}
	if name := strings.Trim(unsafeInName.ReplaceAllString(target, "-"), "-."); name != "" {
		return name
	}
	return fmt.Sprintf("netns-%d", ino)
}

// waitForUser returns once a line is entered on the terminal, SIGUSR1 or
// SIGINT arrives, or the terminal goes away.
func waitForUser(tty *os.File) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGINT)
	defer signal.Stop(sigs)
	fd := int(tty.Fd())
	foreground(fd)
	// Polling with a timeout rather than a blocking read: a reader left
	// behind after a signal would outlive the test.
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	buf := make([]byte, 512)
	for {
		select {
		case <-sigs:
			return
		default:
		}
		n, err := unix.Poll(fds, 100)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return
		}
		if n <= 0 {
			continue
		}
		m, err := unix.Read(fd, buf)
		if err != nil || m == 0 || bytes.IndexByte(buf[:m], '\n') >= 0 {
			return
		}
	}
}

// foreground makes the process's group the terminal's foreground group, so
// that reading the terminal does not stop the process: the sandbox runs the
// tests in a group of their own. The terminal stays with that group, since
// from inside the sandbox's PID namespace the previous group has no number
// to give it back to; the shell takes its terminal back when the tests end.
func foreground(fd int) {
	fg, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	own := unix.Getpgrp()
	if err != nil || fg == own {
		return
	}
	// A background group changing the foreground group gets SIGTTOU.
	signal.Ignore(syscall.SIGTTOU)
	defer signal.Reset(syscall.SIGTTOU)
	_ = unix.IoctlSetPointerInt(fd, unix.TIOCSPGRP, own)
}
