package mntns

import (
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
	res := make(chan outcome, 1)
	go run(netnsfd, fn, res)
	out := <-res
	if out.err != nil {
		t.Fatalf("cannot run in a mount namespace with sysfs of network namespace fd %d, reason: %v", netnsfd, out.err)
	}
	if out.panicked {
		panic(out.panicValue)
	}
	if !out.returned {
		t.Fatalf("cannot run in a mount namespace with sysfs of network namespace fd %d, reason: the function ended its goroutine (runtime.Goexit, as by FailNow or SkipNow), which is not the caller's", netnsfd)
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

// run is the goroutine that sacrifices its thread. It never unlocks it.
func run(netnsfd int, fn func(), res chan<- outcome) {
	runtime.LockOSThread()
	if unix.Gettid() == unix.Getpid() {
		// The runtime parks the main thread instead of retiring it, and
		// /proc/self describes that thread: never sacrifice it. Holding it
		// locked makes the next goroutine start on another thread; the
		// main thread itself never moved.
		done := make(chan struct{})
		go func() {
			defer close(done)
			run(netnsfd, fn, res)
		}()
		<-done
		runtime.UnlockOSThread()
		return
	}
	var out outcome
	defer func() { res <- out }()

	origNet, err := nsops.OpenCurrent()
	if err != nil {
		out.err = err
		return
	}
	defer unix.Close(origNet)
	origMnt, err := unix.Open("/proc/thread-self/ns/mnt", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		out.err = fmt.Errorf("cannot open this thread's mount namespace: %w", err)
		return
	}
	defer unix.Close(origMnt)
	// Whatever happens from here on, leave the thread in the original
	// namespaces if the kernel lets it, so that even a thread the runtime
	// parks instead of terminating sits where every other thread does.
	defer restore(origNet, origMnt)

	if err := enter(netnsfd); err != nil {
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
}

// enter moves the locked calling thread into the network namespace netnsfd
// refers to and into a new, private mount namespace, and mounts a sysfs of
// that network namespace on /sys there.
func enter(netnsfd int) error {
	// CLONE_NEWNS implies CLONE_FS; it is named for the reader.
	if err := unix.Unshare(unix.CLONE_NEWNS | unix.CLONE_FS); err != nil {
		return fmt.Errorf("unshare(CLONE_NEWNS|CLONE_FS) failed: %w", err)
	}
	// The copied mounts are still peers of the host's where those are
	// shared (systemd makes / shared): a mount here would appear there.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("cannot make the new mount namespace private: %w", err)
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

// restore switches the thread back into its original network and mount
// namespaces. Its filesystem attributes stay unshared whatever happens, which
// is why the thread is retired all the same; errors are therefore of no
// consequence and dropped.
func restore(origNet, origMnt int) {
	_ = unix.Setns(origMnt, unix.CLONE_NEWNS)
	_ = unix.Setns(origNet, unix.CLONE_NEWNET)
}
