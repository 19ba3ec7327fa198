package mntns

import (
	"errors"
	"fmt"
	"runtime"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// sysfsMountFlags are those sysfs is usually mounted with.
const sysfsMountFlags = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC

// ExecuteWithSysfs runs fn on a goroutine locked to an OS thread that is in
// the network namespace netnsfd refers to and in a new mount namespace, in
// which a sysfs of that network namespace is mounted on /sys. It waits for fn
// to return, and carries a panic of fn over to the caller. The thread is
// retired afterwards; the mount namespace and its mounts vanish with it.
// netnsfd stays owned by the caller.
func ExecuteWithSysfs(netnsfd int, fn func()) {
	GinkgoHelper()
	ExecuteWithSysfsT(GinkgoTB(), netnsfd, fn)
}

// ExecuteWithSysfsT is [ExecuteWithSysfs] for plain testing users.
func ExecuteWithSysfsT(t testing.TB, netnsfd int, fn func()) {
	t.Helper()
	if fn == nil {
		t.Fatalf("cannot run in a mount namespace with sysfs of network namespace fd %d, reason: function is nil", netnsfd)
	}
	// The fd is checked here, on the caller's side, so that a bad one fails
	// before a thread is sacrificed.
	if err := nsops.Check(netnsfd); err != nil {
		t.Fatalf("cannot run in a mount namespace with sysfs of network namespace fd %d, reason: %v", netnsfd, err)
	}
	if err := sacrifice(func() error { return enterWithSysfs(netnsfd) }, fn); err != nil {
		t.Fatalf("cannot run in a mount namespace with sysfs of network namespace fd %d, reason: %v", netnsfd, err)
	}
}

// outcome is how a run ended: it could not set up (err), fn panicked, fn
// returned, or neither (fn called runtime.Goexit).
type outcome struct {
	err        error
	panicked   bool
	panicValue any
	returned   bool
}

// errGoexit reports that fn ended its goroutine instead of returning.
var errGoexit = errors.New("the function ended its goroutine (runtime.Goexit, as by FailNow or SkipNow), which is not the caller's")

// sacrifice runs fn on a goroutine of its own, locked to its thread, after
// enter has switched that thread's namespaces, and waits for fn. A panic of
// fn continues on the caller's goroutine. The goroutine ends without
// unlocking, so the runtime terminates the thread: once enter has unshared
// its filesystem attributes, it must not run other goroutines. (It is never
// the main thread, which the main goroutine holds: see init.)
func sacrifice(enter func() error, fn func()) error {
	res := make(chan outcome, 1)
	go func() {
		runtime.LockOSThread()
		var out outcome
		defer func() { res <- out }()
		if err := enter(); err != nil {
			out.err = err
			return
		}
		defer func() {
			if v := recover(); v != nil {
				out.panicked, out.panicValue = true, v
			}
		}()
		fn()
		out.returned = true
	}()
	out := <-res
	switch {
	case out.err != nil:
		return out.err
	case out.panicked:
		panic(out.panicValue)
	case !out.returned:
		return errGoexit
	}
	return nil
}

// enterWithSysfs moves the locked calling thread into the network namespace
// netnsfd refers to and into a new, private mount namespace, and mounts a
// sysfs of that network namespace on /sys there.
func enterWithSysfs(netnsfd int) error {
	if err := unshare(); err != nil {
		return err
	}
	// sysfs takes the network namespace of the thread mounting it.
	if err := unix.Setns(netnsfd, unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("setns into network namespace failed: %w", err)
	}
	if err := unix.Mount("sysfs", "/sys", "sysfs", sysfsMountFlags, ""); err != nil {
		return fmt.Errorf("cannot mount sysfs on /sys: %w", err)
	}
	return nil
}
