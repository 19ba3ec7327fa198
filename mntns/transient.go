package mntns

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// The main goroutine keeps the main thread to itself, so that no other
// goroutine ever runs on it: a thread that has switched mount namespaces
// must be retired, and the runtime never retires the main thread (it parks
// it, and /proc/self, which describes it, would then describe a foreign
// mount namespace for good). LockOSThread in init binds main.main, and with
// it TestMain, to the main thread.
func init() { runtime.LockOSThread() }

// ErrRestore marks a failure of the function [EnterTransient] returns to
// switch the thread back into its original mount namespace.
var ErrRestore = errors.New("cannot switch thread back into its original mount namespace")

// sysfsROMountFlags are the flags of a read-only sysfs.
const sysfsROMountFlags = unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_RELATIME

// threadMntnsPath names the calling thread's mount namespace; /proc/self/ns/mnt
// names the main thread's, which is the process's.
const threadMntnsPath = "/proc/thread-self/ns/mnt"

// unshare moves the locked calling thread into a new mount namespace whose
// mounts propagate neither to nor from the namespace it came from.
func unshare() error {
	// CLONE_NEWNS implies CLONE_FS; it is named for the reader.
	if err := unix.Unshare(unix.CLONE_NEWNS | unix.CLONE_FS); err != nil {
		return fmt.Errorf("unshare(CLONE_NEWNS|CLONE_FS) failed: %w", err)
	}
	// The copied mounts are still peers of the host's where those are
	// shared (systemd makes / shared): a mount here would appear there.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("cannot make the new mount namespace private: %w", err)
	}
	return nil
}

// EnterTransient locks the calling goroutine to its OS thread, moves that
// thread into a new mount namespace, private (no mount propagation to or
// from the original), and returns a function that switches the thread back.
// Use it as
//
//	defer mntns.EnterTransient()()
//
// usually after "defer netns.EnterTransient()()" and followed by
// [MountSysfsRO], so that /sys shows the transient network namespace.
//
// The thread stays locked for the rest of the goroutine, even after the
// returned function has run: the thread no longer shares its filesystem
// attributes (root, working directory, umask) with the process, which the
// kernel demands for switching mount namespaces, and must never run another
// goroutine. When the goroutine ends (for a spec, when the spec ends), the Go
// runtime terminates the thread. Mounts made meanwhile vanish with the
// namespace.
//
// Where the original mount namespace belongs to an ancestor user namespace,
// as the host's does for a test in a rootless sandbox, the kernel lets the
// thread leave it but not come back: the returned function then leaves the
// thread in the transient namespace, which is no danger to other goroutines,
// since the thread is retired with its goroutine, and logs that it did.
//
// EnterTransient refuses to run on the main goroutine (TestMain, init),
// which the runtime never lets go of its thread. If the returned function
// cannot switch back for any other reason, it panics with an error wrapping
// [ErrRestore].
func EnterTransient() func() {
	GinkgoHelper()
	return EnterTransientT(GinkgoTB())
}

// EnterTransientT is [EnterTransient] for plain testing users.
func EnterTransientT(t testing.TB) func() {
	t.Helper()
	runtime.LockOSThread()
	if unix.Gettid() == unix.Getpid() {
		runtime.UnlockOSThread()
		t.Fatalf("cannot enter transient mount namespace, reason: called on the main goroutine, whose thread the Go runtime never retires; call it from a test or spec")
	}
	orig, err := unix.Open(threadMntnsPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		t.Fatalf("cannot enter transient mount namespace, reason: cannot open %s: %v", threadMntnsPath, err)
	}
	if err := unshare(); err != nil {
		// The thread may have unshared its filesystem attributes already:
		// it stays locked, to be retired.
		err = errors.Join(err, unix.Setns(orig, unix.CLONE_NEWNS))
		unix.Close(orig)
		t.Fatalf("cannot enter transient mount namespace, reason: %v", err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			defer unix.Close(orig)
			err := unix.Setns(orig, unix.CLONE_NEWNS)
			if err == nil {
				return
			}
			if outOfReach(orig) {
				t.Logf("mntns: the thread stays in its transient mount namespace until its goroutine ends, reason: the original mount namespace belongs to an ancestor user namespace, which the kernel does not let it back into (%v)", err)
				return
			}
			panic(fmt.Errorf("%w, reason: %w", ErrRestore, err))
		})
	}
}

// outOfReach tells whether the mount namespace mntfd refers to belongs to a
// user namespace outside the calling thread's, as the host's does for a test
// in a rootless sandbox: such a namespace can be left, but not entered again.
func outOfReach(mntfd int) bool {
	owner, err := unix.IoctlRetInt(mntfd, unix.NS_GET_USERNS)
	if err != nil {
		return errors.Is(err, unix.EPERM)
	}
	unix.Close(owner)
	return false
}

// MountSysfsRO mounts a new sysfs, read-only, on /sys of the calling
// thread's mount namespace, which must be a transient one (see
// [EnterTransient], [Execute]); it refuses the process's own. The sysfs shows
// the network devices of the calling thread's network namespace at the time
// of the call, under /sys/class/net, whichever namespace later readers are
// in. The mount goes with the mount namespace; nothing is cleaned up
// explicitly.
func MountSysfsRO() {
	GinkgoHelper()
	MountSysfsROT(GinkgoTB())
}

// MountSysfsROT is [MountSysfsRO] for plain testing users.
func MountSysfsROT(t testing.TB) {
	t.Helper()
	// The check and the mount must concern one thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	own, err := nsops.FdOrPathIno(threadMntnsPath, unix.CLONE_NEWNS)
	if err == nil {
		var process uint64
		if process, err = nsops.FdOrPathIno("/proc/self/ns/mnt", unix.CLONE_NEWNS); err == nil && own == process {
			err = errors.New("the calling thread is in the process's own mount namespace, whose /sys must stay; enter a transient one first (EnterTransient, or inside Execute)")
		}
	}
	if err == nil {
		err = unix.Mount("sysfs", "/sys", "sysfs", sysfsROMountFlags, "")
	}
	if err != nil {
		t.Fatalf("cannot mount sysfs read-only on /sys, reason: %v", err)
	}
}

// NewTransient creates a new private mount namespace without entering it and
// returns an fd referring to it, and procfsroot, a path of the form
// /proc/<tid>/root through which the caller reads the files of that
// namespace, as its mounts show them, without entering it.
//
// An idle OS thread of its own holds the namespace (and procfsroot); at the
// current node's cleanup the fd is closed, and the thread ends, after which
// the namespace vanishes once nothing else refers to it. The caller must not
// close the fd. Run code in the namespace with [Execute].
func NewTransient() (mntfd int, procfsroot string) {
	GinkgoHelper()
	return NewTransientT(GinkgoTB())
}

// NewTransientT is [NewTransient] for plain testing users.
func NewTransientT(t testing.TB) (mntfd int, procfsroot string) {
	t.Helper()
	type ready struct {
		fd, tid int
		err     error
	}
	readyCh := make(chan ready, 1)
	done, ended := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		// Never unlocked: the thread ends with this goroutine.
		runtime.LockOSThread()
		if err := unshare(); err != nil {
			readyCh <- ready{err: err}
			return
		}
		fd, err := unix.Open(threadMntnsPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		readyCh <- ready{fd: fd, tid: unix.Gettid(), err: err}
		if err != nil {
			return
		}
		<-done
	}()
	r := <-readyCh
	if r.err != nil {
		<-ended
		t.Fatalf("cannot create transient mount namespace, reason: %v", r.err)
	}
	t.Cleanup(func() {
		close(done)
		<-ended
		unix.Close(r.fd)
	})
	return r.fd, fmt.Sprintf("/proc/%d/root", r.tid)
}

// carriedOver are the namespaces, besides the mount namespace, that
// [Execute] takes over from the calling thread.
var carriedOver = []struct {
	name   string
	nstype int
}{
	{"net", unix.CLONE_NEWNET},
	{"uts", unix.CLONE_NEWUTS},
	{"ipc", unix.CLONE_NEWIPC},
	{"cgroup", unix.CLONE_NEWCGROUP},
}

// Execute runs fn in the mount namespace mntnsfd refers to, and waits for it.
// fn runs on a goroutine of its own, on a thread that is then retired (a
// thread that switched mount namespaces must not run other goroutines), and
// in the network, UTS, IPC and cgroup namespaces of the calling thread, so
// that after "defer netns.EnterTransient()()" fn is in that network
// namespace too. A panic of fn, including a failed Gomega assertion,
// continues on the caller's goroutine; fn must not call testing.TB's
// FailNow, Fatal or Skip family, which end only the goroutine they run on.
// mntnsfd stays owned by the caller.
func Execute(mntnsfd int, fn func()) {
	GinkgoHelper()
	ExecuteT(GinkgoTB(), mntnsfd, fn)
}

// ExecuteT is [Execute] for plain testing users.
func ExecuteT(t testing.TB, mntnsfd int, fn func()) {
	t.Helper()
	fail := func(err error) {
		t.Helper()
		t.Fatalf("cannot execute in mount namespace fd %d, reason: %v", mntnsfd, err)
	}
	if fn == nil {
		fail(errors.New("function is nil"))
	}
	if err := nsops.CheckType(mntnsfd, unix.CLONE_NEWNS); err != nil {
		fail(err)
	}
	callers, err := callersNamespaces()
	if err != nil {
		fail(err)
	}
	defer func() {
		for _, fd := range callers {
			unix.Close(fd)
		}
	}()
	err = sacrifice(func() error {
		if err := unix.Unshare(unix.CLONE_FS); err != nil {
			return fmt.Errorf("unshare(CLONE_FS) failed: %w", err)
		}
		if err := unix.Setns(mntnsfd, unix.CLONE_NEWNS); err != nil {
			return fmt.Errorf("setns into mount namespace failed: %w", err)
		}
		for i, fd := range callers {
			if err := join(fd, carriedOver[i].name, carriedOver[i].nstype); err != nil {
				return err
			}
		}
		return nil
	}, fn)
	if err != nil {
		fail(err)
	}
}

// callersNamespaces opens the calling thread's namespaces of [carriedOver].
func callersNamespaces() ([]int, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	fds := make([]int, 0, len(carriedOver))
	for _, ns := range carriedOver {
		fd, err := unix.Open("/proc/thread-self/ns/"+ns.name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			for _, fd := range fds {
				unix.Close(fd)
			}
			return nil, fmt.Errorf("cannot open the calling thread's %s namespace: %w", ns.name, err)
		}
		fds = append(fds, fd)
	}
	return fds, nil
}

// join moves the locked calling thread into the namespace fd refers to,
// unless it is there already: setns into one's own namespace may need
// privileges that staying put does not.
func join(fd int, name string, nstype int) error {
	var want, have unix.Stat_t
	if err := unix.Fstat(fd, &want); err != nil {
		return fmt.Errorf("cannot stat %s namespace: %w", name, err)
	}
	if err := unix.Stat("/proc/thread-self/ns/"+name, &have); err != nil {
		return fmt.Errorf("cannot stat this thread's %s namespace: %w", name, err)
	}
	if want.Ino == have.Ino && want.Dev == have.Dev {
		return nil
	}
	if err := unix.Setns(fd, nstype); err != nil {
		return fmt.Errorf("setns into the caller's %s namespace failed: %w", name, err)
	}
	return nil
}

// Current returns an fd referring to the mount namespace of the calling
// goroutine's thread. The fd is closed at cleanup; the caller must not close
// it. Unless the goroutine is locked to its thread (as after
// [EnterTransient]), this is the process's mount namespace.
func Current() int {
	GinkgoHelper()
	return CurrentT(GinkgoTB())
}

// CurrentT is [Current] for plain testing users.
func CurrentT(t testing.TB) int {
	t.Helper()
	fd, err := unix.Open(threadMntnsPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("cannot open current mount namespace, reason: %v", err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

// CurrentIno returns the inode number of the calling thread's mount
// namespace, which identifies the namespace for as long as it exists.
func CurrentIno() uint64 {
	GinkgoHelper()
	return CurrentInoT(GinkgoTB())
}

// CurrentInoT is [CurrentIno] for plain testing users.
func CurrentInoT(t testing.TB) uint64 {
	t.Helper()
	ino, err := nsops.FdOrPathIno(threadMntnsPath, unix.CLONE_NEWNS)
	if err != nil {
		t.Fatalf("cannot determine current mount namespace, reason: %v", err)
	}
	return ino
}

// Ino returns the inode number of the mount namespace ref refers to: an open
// fd, or a path such as /proc/1/ns/mnt. It fails the spec when ref does not
// refer to a mount namespace.
func Ino[R ~int | ~string](ref R) uint64 {
	GinkgoHelper()
	return InoT(GinkgoTB(), ref)
}

// InoT is [Ino] for plain testing users.
func InoT[R ~int | ~string](t testing.TB, ref R) uint64 {
	t.Helper()
	ino, err := nsops.FdOrPathIno(ref, unix.CLONE_NEWNS)
	if err != nil {
		t.Fatalf("cannot determine inode number of mount namespace %v, reason: %v", ref, err)
	}
	return ino
}
