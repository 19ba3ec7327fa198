package netns

import (
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/diag"
	"github.com/scratchnet/scratchnet/internal/nsops"
)

// EnterTransient locks the calling goroutine to its OS thread, switches that
// thread into a new network namespace with lo up, and returns a function that
// switches back and unlocks the thread. Use it as
//
//	defer netns.EnterTransient()()
//
// The namespace disappears once the thread has left it and the current node's
// cleanup has run (until then it is kept for a failure report), unless the
// test holds another reference to it.
//
// If the returned function cannot switch back, it panics and leaves the thread
// locked, so that the Go runtime retires the thread rather than reuse it in a
// foreign namespace.
func EnterTransient() func() {
	GinkgoHelper()
	return EnterTransientT(GinkgoTB())
}

// EnterTransientT is [EnterTransient] for plain testing users.
func EnterTransientT(t testing.TB) func() {
	t.Helper()
	// Lock first: the original namespace read next must be this thread's.
	runtime.LockOSThread()
	orig, err := nsops.OpenCurrent()
	if err != nil {
		runtime.UnlockOSThread()
		t.Fatalf("cannot enter transient network namespace, reason: %v", err)
	}
	fd, err := nsops.EnterNew()
	if err != nil {
		unix.Close(orig)
		if errors.Is(err, nsops.ErrRestore) {
			panic(err)
		}
		runtime.UnlockOSThread()
		t.Fatalf("cannot enter transient network namespace, reason: %v", err)
	}
	// The fd keeps the namespace describable in a failure report until
	// cleanup, after the thread has left it.
	watch(t, fd)
	return func() { nsops.Leave(orig) }
}

// NewTransient creates a new network namespace with lo up, without entering
// it, and returns an fd referring to it. The fd is closed when the current
// node's cleanup runs (DeferCleanup); the caller must not close it. Once no
// fd, process or mount refers to it anymore, the kernel removes the
// namespace together with all its interfaces.
func NewTransient() int {
	GinkgoHelper()
	return NewTransientT(GinkgoTB())
}

// NewTransientT is [NewTransient] for plain testing users; the fd is closed
// through t.Cleanup.
func NewTransientT(t testing.TB) int {
	t.Helper()
	fd, err := nsops.Unshare()
	if err != nil {
		if errors.Is(err, nsops.ErrRestore) {
			panic(err)
		}
		t.Fatalf("cannot create transient network namespace, reason: %v", err)
	}
	watch(t, fd)
	return fd
}

// watch closes fd at cleanup and, until then, has the namespace described in
// the report of a failing spec.
func watch(t testing.TB, fd int) {
	var closed atomic.Bool
	targets := func() []diag.Target {
		// A failure during teardown comes after the namespace is gone.
		if closed.Load() {
			return nil
		}
		return []diag.Target{{Name: fmt.Sprintf("transient network namespace (fd %d)", fd), NsFd: fd}}
	}
	t.Cleanup(func() {
		diag.AtTeardown(t, "scratchnet transient network namespace", targets)
		closed.Store(true)
		unix.Close(fd)
	})
	diag.Watch(t, "scratchnet transient network namespace", targets)
}

// Execute runs fn on the calling goroutine, with its thread locked and
// switched into the network namespace netnsfd refers to, and switches back
// afterwards. If fn panics, the original namespace is restored first and the
// panic then continues. netnsfd stays owned by the caller.
func Execute(netnsfd int, fn func()) {
	GinkgoHelper()
	ExecuteT(GinkgoTB(), netnsfd, fn)
}

// ExecuteT is [Execute] for plain testing users.
func ExecuteT(t testing.TB, netnsfd int, fn func()) {
	t.Helper()
	if err := nsops.Do(netnsfd, fn); err != nil {
		t.Fatalf("cannot execute in network namespace fd %d, reason: %v", netnsfd, err)
	}
}
