package netns

import (
	"errors"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/diag"
	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/internal/scope"
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
		if !errors.Is(err, nsops.ErrRestore) {
			runtime.UnlockOSThread()
		}
		// A thread stuck in the new namespace stays locked: Fatalf ends
		// the goroutine, and the runtime retires the thread with it.
		t.Fatalf("cannot enter transient network namespace, reason: %v", err)
	}
	// The fd keeps the namespace describable in a failure report until
	// cleanup, after the thread has left it. It is not owned for the
	// scope's link bookkeeping: a thread that never left keeps the
	// namespace alive past the cleanup.
	watch(t, fd, "entered transient network namespace", "", false)
	return func() {
		if err := nsops.Leave(orig); err != nil {
			// The one panic of the library: the restore func has no way to
			// report an error, and its goroutine must not go on in a
			// foreign namespace.
			panic(err)
		}
	}
}

// NewTransient creates a new network namespace with lo up, without entering
// it, and returns an fd referring to it. The fd is closed when the current
// node's cleanup runs (DeferCleanup); the caller must not close it. Once no
// fd, process or mount refers to it anymore, the kernel removes the
// namespace together with all its interfaces.
//
// Options such as [WithName] are applied in order.
func NewTransient(opts ...Opt) int {
	GinkgoHelper()
	return NewTransientT(GinkgoTB(), opts...)
}

// NewTransientT is [NewTransient] for plain testing users; the fd is closed
// through t.Cleanup.
func NewTransientT(t testing.TB, opts ...Opt) int {
	t.Helper()
	o := options{name: "transient network namespace"}
	for _, opt := range opts {
		if opt == nil {
			t.Fatalf("cannot create transient network namespace, reason: an option is nil")
		}
		if err := opt(&o); err != nil {
			t.Fatalf("cannot create transient network namespace, reason: %v", err)
		}
	}
	fd, err := nsops.UnshareForTest(nil)
	if err != nil {
		t.Fatalf("cannot create %s, reason: %v", o.name, err)
	}
	watch(t, fd, o.name, o.label, true)
	return fd
}

// Opt configures a transient network namespace.
type Opt func(*options) error

type options struct {
	name  string // for reports
	label string // the name given, for messages; "" for none
}

// WithName names the namespace in failure reports and messages, such as
// "left" or "dhcp server", so that a reader can tell one transient
// namespace from another: the failure message of every helper given the
// namespace, in this package or another, names it as `network namespace
// "left" (net:[4026532307])` until the namespace's fd is closed at cleanup.
// It does not pin the namespace under /run/netns.
func WithName(name string) Opt {
	return func(o *options) error {
		if strings.TrimSpace(name) == "" {
			return errors.New(`WithName(""): the name is empty`)
		}
		o.name = "transient network namespace " + strconv.Quote(name)
		o.label = name
		return nil
	}
}

// watch closes fd at cleanup and, until then, has the namespace described in
// the report of a failing spec and, with a label, named as label in
// messages. An owned namespace is one nothing but this fd keeps alive once
// the test body is over, so links that live only in it die when the cleanup
// closes it.
func watch(t testing.TB, fd int, name, label string, own bool) {
	sc := scope.Of(t)
	var closed atomic.Bool
	targets := func() []diag.Target {
		// A failure during teardown comes after the namespace is gone.
		if closed.Load() {
			return nil
		}
		return []diag.Target{{Name: name, NsFd: fd}}
	}
	closing, forget := func() {}, func() {}
	if ino, err := nsops.Ino(fd); err == nil {
		if own {
			closing = sc.Own(ino)
		}
		if label != "" {
			forget = nsops.Name(ino, label)
		}
	}
	sc.Cleanup(t, func() {
		closing()
		closed.Store(true)
		// Once the fd is closed the namespace may be gone, and its inode
		// number free for a new one.
		forget()
		unix.Close(fd)
	})
	diag.Watch(t, sc, "scratchnet "+name, diag.Caller(), targets)
}

// Execute runs fn on the calling goroutine, with its thread locked and
// switched into the network namespace netnsfd refers to, and switches back
// afterwards. If fn panics, the original namespace is restored first and the
// panic then continues. netnsfd stays owned by the caller. Goroutines that
// fn starts run outside the namespace: give them sockets from [Listen],
// [ListenPacket] or a [Dialer], or wrap their work in [Do].
func Execute(netnsfd int, fn func()) {
	GinkgoHelper()
	ExecuteT(GinkgoTB(), netnsfd, fn)
}

// ExecuteT is [Execute] for plain testing users.
func ExecuteT(t testing.TB, netnsfd int, fn func()) {
	t.Helper()
	if err := nsops.Do(netnsfd, fn); err != nil {
		t.Fatalf("cannot execute in %s, reason: %v", nsops.Describe(netnsfd), err)
	}
}
