// Package nsops holds the error-returning primitives on network namespaces
// that the public packages build on: opening and checking namespace fds,
// running code with a thread switched into a namespace, and opening netlink
// handles bound to a namespace for every netlink family. Checking an fd's
// namespace type and reading its inode number work for any type of
// namespace ([CheckType], [FdOrPathIno]), so that mntns shares them.
//
// Nothing here knows about tests, and nothing here panics: every function
// returns an error and leaves reporting to its caller. Switching a thread
// between network namespaces happens here (mntns, which sacrifices its
// thread, is the one exception). Work of the library's own that needs a
// switched thread runs on a fresh goroutine ([Run]): when its thread cannot
// switch back, that goroutine ends locked, the Go runtime retires the
// thread, and the caller gets an error wrapping [ErrRestore], its own thread
// untouched.
package nsops

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"unsafe"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// ErrRestore marks a failure to switch a thread back into its original
// namespace. The thread must then stay locked so that the Go runtime retires
// it when its goroutine ends, instead of handing it to another goroutine
// while it is still in a foreign namespace.
var ErrRestore = errors.New("cannot switch thread back into its original network namespace")

// threadNetnsPath names the calling thread's network namespace; the
// process-wide /proc/self/ns/net would name the main thread's instead.
const threadNetnsPath = "/proc/thread-self/ns/net"

// OpenCurrent opens the network namespace of the calling OS thread.
//
// A goroutine that is not locked to its thread gets the process's home
// namespace, on whatever thread it runs: no thread of this library returns
// to the scheduler in another namespace (one that cannot switch back stays
// locked until the runtime retires it), and the runtime starts new threads
// from a template thread rather than from a locked one. A goroutine locked
// into another namespace, as inside [Do], gets that namespace. So callers
// need not lock their thread just to ask.
func OpenCurrent() (int, error) {
	fd, err := unix.Open(threadNetnsPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("cannot open %s, reason: %w", threadNetnsPath, err)
	}
	return fd, nil
}

// OpenPath opens a namespace reference such as /proc/1/ns/net or a bind mount
// under /run/netns and checks that it is a network namespace.
func OpenPath(path string) (int, error) {
	return openPathType(path, unix.CLONE_NEWNET)
}

// openPathType opens a namespace reference and checks that it is a
// namespace of the CLONE_NEW* type nstype.
func openPathType(path string, nstype int) (int, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if err := CheckType(fd, nstype); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// Check reports whether fd is an open reference to a network namespace. It
// asks nsfs itself (NS_GET_NSTYPE), so a closed fd, /dev/null or a mount
// namespace are told apart from a network namespace.
func Check(fd int) error {
	return CheckType(fd, unix.CLONE_NEWNET)
}

// CheckType is [Check] for a namespace of the CLONE_NEW* type nstype, such
// as unix.CLONE_NEWNS for a mount namespace.
func CheckType(fd, nstype int) error {
	if fd < 0 {
		return fmt.Errorf("invalid file descriptor %d", fd)
	}
	got, err := unix.IoctlRetInt(fd, unix.NS_GET_NSTYPE)
	if err != nil {
		if errors.Is(err, unix.EBADF) {
			return fmt.Errorf("file descriptor %d is not open", fd)
		}
		return fmt.Errorf("file descriptor %d is not a namespace reference (%w)", fd, err)
	}
	if got != nstype {
		return fmt.Errorf("file descriptor %d refers to a %s namespace, not a %s namespace", fd, nsTypeName(got), nsTypeName(nstype))
	}
	return nil
}

func nsTypeName(nstype int) string {
	switch nstype {
	case unix.CLONE_NEWNET:
		return "network"
	case unix.CLONE_NEWNS:
		return "mount"
	case unix.CLONE_NEWUTS:
		return "uts"
	case unix.CLONE_NEWIPC:
		return "ipc"
	case unix.CLONE_NEWUSER:
		return "user"
	case unix.CLONE_NEWPID:
		return "pid"
	case unix.CLONE_NEWCGROUP:
		return "cgroup"
	case unix.CLONE_NEWTIME:
		return "time"
	}
	return fmt.Sprintf("type-%#x", nstype)
}

// Ino returns the inode number identifying the network namespace fd refers
// to.
func Ino(fd int) (uint64, error) {
	return InoType(fd, unix.CLONE_NEWNET)
}

// InoType is [Ino] for a namespace of the CLONE_NEW* type nstype.
func InoType(fd, nstype int) (uint64, error) {
	if err := CheckType(fd, nstype); err != nil {
		return 0, err
	}
	return fstatIno(fd)
}

// fstatIno returns the inode number of what fd refers to; for an nsfs fd,
// that identifies the namespace for as long as it exists.
func fstatIno(fd int) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return 0, err
	}
	return st.Ino, nil
}

// Dup duplicates a namespace fd (close-on-exec), so that a cleanup can keep
// its own reference independent of the caller's.
func Dup(fd int) (int, error) {
	if err := Check(fd); err != nil {
		return -1, err
	}
	return unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
}

// Unshare creates a new network namespace with lo up and returns an fd
// referring to it. The namespace is made on a thread of its own (see [Run]):
// the caller's thread never changes namespace.
func Unshare() (int, error) {
	return unshare(nil, setnsNet)
}

// unshare is [Unshare] with a setup step (see [UnshareForTest]) and the
// switch back passed in, as for [Do].
func unshare(setup func() error, restore func(orig int) error) (int, error) {
	fd := -1
	err := onOwnThread(func() error {
		var err error
		fd, err = unshareHere(setup, restore)
		return err
	})
	if err != nil {
		if fd >= 0 {
			unix.Close(fd)
		}
		return -1, err
	}
	return fd, nil
}

// UnshareForTest is [Unshare] done on the calling goroutine, which spares
// the hand-over to a goroutine of its own that every transient namespace
// would otherwise pay for. setup, when not nil, runs on the thread while it
// is in the new namespace with lo up: writing sysctls there costs no extra
// pair of namespace switches; its error fails the call, and the new
// namespace is closed.
//
// It is for helpers that fail their test on any error: on one wrapping
// ErrRestore the calling goroutine stays locked to a thread stuck in the
// new namespace, and the caller must end the goroutine (t.Fatalf does), so
// that the runtime retires the thread. It must not be called from a
// cleanup.
func UnshareForTest(setup func() error) (int, error) {
	return unshareForTest(setup, setnsNet)
}

func unshareForTest(setup func() error, restore func(orig int) error) (int, error) {
	runtime.LockOSThread()
	if unix.Gettid() == unix.Getpid() {
		// The runtime parks the main thread instead of retiring it: the
		// work goes to a goroutine of its own, off the main thread.
		runtime.UnlockOSThread()
		return unshare(setup, restore)
	}
	fd, err := unshareHere(setup, restore)
	if errors.Is(err, ErrRestore) {
		if fd >= 0 {
			unix.Close(fd)
		}
		return -1, err
	}
	runtime.UnlockOSThread()
	return fd, err
}

// EnterNew moves the calling thread, which the caller has locked, into a new
// network namespace with lo up, and returns an fd for it. On an error other
// than one wrapping ErrRestore the thread has not moved; on one wrapping
// ErrRestore it is stuck in the new namespace, and the caller must end its
// goroutine with the thread still locked.
func EnterNew() (int, error) {
	orig, err := OpenCurrent()
	if err != nil {
		return -1, err
	}
	defer unix.Close(orig)
	return enterNew(orig, setnsNet)
}

// unshareHere moves the locked calling thread into a new network namespace,
// brings its loopback up, runs setup there (when not nil), opens an fd for
// it and switches back. On an error wrapping ErrRestore the thread stays in
// the new namespace, and fd may be valid.
func unshareHere(setup func() error, restore func(orig int) error) (int, error) {
	orig, err := OpenCurrent()
	if err != nil {
		return -1, err
	}
	defer unix.Close(orig)
	fd, err := enterNew(orig, restore)
	if err != nil {
		return -1, err
	}
	if setup != nil {
		if serr := setup(); serr != nil {
			if rerr := restore(orig); rerr != nil {
				return fd, fmt.Errorf("%w, reason: %w (after: %w)", ErrRestore, rerr, serr)
			}
			unix.Close(fd)
			return -1, serr
		}
	}
	if err := restore(orig); err != nil {
		return fd, fmt.Errorf("%w, reason: %w", ErrRestore, err)
	}
	return fd, nil
}

// enterNew moves the locked calling thread into a new network namespace
// with lo up and returns an fd for it; on an error it switches back into
// orig, unless the error wraps ErrRestore.
func enterNew(orig int, restore func(orig int) error) (int, error) {
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		return -1, fmt.Errorf("unshare(CLONE_NEWNET) failed: %w", err)
	}
	fd, err := OpenCurrent()
	if err == nil {
		err = LoUp()
		if err != nil {
			unix.Close(fd)
		}
	}
	if err != nil {
		if rerr := restore(orig); rerr != nil {
			return -1, fmt.Errorf("%w, reason: %w (after: %w)", ErrRestore, rerr, err)
		}
		return -1, err
	}
	return fd, nil
}

// loopbackIndex is the index the kernel gives lo in every new network
// namespace: it registers lo first, with a fixed index (LOOPBACK_IFINDEX).
const loopbackIndex = 1

// LoUp brings up the loopback of the calling thread's namespace: a fresh
// namespace starts with lo down, so binding 127.0.0.1 would fail.
//
// It sends one RTM_NEWLINK for index 1 on a blocking socket of its own:
// every transient namespace pays for this, and a vishvananda/netlink handle
// would add a look-up of lo by name and the registration of its socket with
// Go's poller, together as much again as the request itself.
func LoUp() error {
	sock, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("cannot open netlink socket to set loopback up, reason: %w", err)
	}
	defer unix.Close(sock)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = loopbackIndex
	msg.Flags = unix.IFF_UP
	msg.Change = unix.IFF_UP
	body := msg.Serialize()
	hdr := unix.NlMsghdr{
		Len:   uint32(unix.SizeofNlMsghdr + len(body)),
		Type:  unix.RTM_NEWLINK,
		Flags: unix.NLM_F_REQUEST | unix.NLM_F_ACK,
		Seq:   1,
	}
	req := append((*(*[unix.SizeofNlMsghdr]byte)(unsafe.Pointer(&hdr)))[:], body...)
	if err := unix.Sendto(sock, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("cannot set loopback up, reason: %w", err)
	}
	buf := make([]byte, unix.Getpagesize())
	n, _, err := unix.Recvfrom(sock, buf, 0)
	if err != nil {
		return fmt.Errorf("cannot set loopback up, reason: %w", err)
	}
	msgs, err := syscall.ParseNetlinkMessage(buf[:n])
	if err != nil || len(msgs) == 0 || msgs[0].Header.Type != unix.NLMSG_ERROR || len(msgs[0].Data) < 4 {
		return fmt.Errorf("cannot set loopback up, reason: unexpected answer from the kernel (%d bytes)", n)
	}
	if errno := -int32(nl.NativeEndian().Uint32(msgs[0].Data[:4])); errno != 0 {
		return fmt.Errorf("cannot set loopback up, reason: %w", unix.Errno(errno))
	}
	return nil
}

// Run runs fn on a fresh goroutine, locked to its thread and with that
// thread switched into the network namespace fd refers to, and waits for it.
// The caller's own thread never changes namespace, so Run is safe in
// cleanups and on goroutines that must not be locked. If the thread cannot
// switch back, its goroutine ends with the thread locked, which makes the Go
// runtime retire it, and Run returns an error wrapping [ErrRestore]
// (whatever fn produced stays valid: fn ran where it should). fn must not
// call runtime.Goexit (as t.FailNow does); a panic in fn continues in the
// caller.
func Run(fd int, fn func()) error {
	return run(fd, fn, setnsNet)
}

// RunForTest is [Run] for helpers that fail their test on any error, as
// [UnshareForTest] is: it switches the calling goroutine's own thread, which
// spares handing the work to another thread. On an error wrapping
// ErrRestore the calling goroutine stays locked to a thread stuck in the
// foreign namespace, and the caller must end the goroutine (t.Fatalf does).
// On the main thread, which must never be given up, it is [Run]. It must
// not be called from a cleanup.
func RunForTest(fd int, fn func()) error {
	return runForTest(fd, fn, setnsNet)
}

func runForTest(fd int, fn func(), restore func(orig int) error) error {
	if err := Check(fd); err != nil {
		return err
	}
	runtime.LockOSThread()
	if unix.Gettid() == unix.Getpid() {
		runtime.UnlockOSThread()
		return Run(fd, fn)
	}
	defer runtime.UnlockOSThread()
	orig, err := OpenCurrent()
	if err != nil {
		return err
	}
	// Already there: no switch, which an unprivileged process could not
	// make even into its own namespace.
	if same, err := SameNs(orig, fd); err == nil && same {
		unix.Close(orig)
		fn()
		return nil
	}
	runtime.LockOSThread()
	return doFrom(orig, fd, fn, restore)
}

// run is [Run] with the switch back passed in, as for [Do].
func run(fd int, fn func(), restore func(orig int) error) error {
	if err := Check(fd); err != nil {
		return err
	}
	var panicked bool
	var value any
	err := onOwnThread(func() error {
		orig, err := OpenCurrent()
		if err != nil {
			return err
		}
		defer unix.Close(orig)
		// Already there, as for the process's own namespace: no switch,
		// which an unprivileged process could not make even into its own.
		if same, err := SameNs(orig, fd); err == nil && same {
			catch(fn, &panicked, &value)
			return nil
		}
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("setns failed: %w", err)
		}
		catch(fn, &panicked, &value)
		if err := restore(orig); err != nil {
			return fmt.Errorf("%w, reason: %w", ErrRestore, err)
		}
		return nil
	})
	if panicked {
		panic(value)
	}
	return err
}

// catch calls fn and records a panic of it.
func catch(fn func(), panicked *bool, value *any) {
	defer func() {
		if v := recover(); v != nil {
			*panicked, *value = true, v
		}
	}()
	fn()
}

// onOwnThread runs fn on a fresh goroutine locked to its thread and waits
// for it. When fn's error wraps ErrRestore, the goroutine ends locked and
// the runtime retires the thread; otherwise the thread is unlocked and goes
// back to the scheduler, in the namespace it started in.
//
// fn never runs on the main thread: the runtime parks that thread instead
// of retiring it, and /proc/self then describes a foreign namespace.
func onOwnThread(fn func() error) error {
	errc := make(chan error, 1)
	go offMain(fn, errc)
	return <-errc
}

func offMain(fn func() error, errc chan<- error) {
	runtime.LockOSThread()
	if unix.Gettid() == unix.Getpid() {
		// While this goroutine holds the main thread, the next one starts
		// on another.
		done := make(chan struct{})
		go func() {
			defer close(done)
			offMain(fn, errc)
		}()
		<-done
		runtime.UnlockOSThread()
		return
	}
	returned := false
	var err error
	defer func() {
		switch {
		case !returned:
			// fn ended the goroutine, its thread possibly anywhere.
			err = fmt.Errorf("%w, reason: the work ended its goroutine before switching back", ErrRestore)
		case !errors.Is(err, ErrRestore):
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	err = fn()
	returned = true
}

// Do runs fn on the calling goroutine, locked to its thread and with that
// thread switched into the network namespace fd refers to, and switches back
// afterwards, also when fn panics or ends the goroutine (the panic then
// continues). It is for running a caller's code, which must stay on the
// caller's goroutine; the library's own work uses [Run].
//
// If switching back fails, Do returns an error wrapping ErrRestore and
// leaves the thread locked in the foreign namespace: the caller must then
// end its goroutine (t.Fatalf does), so that the runtime retires the thread.
// If it fails after a panic or Goexit of fn, the thread stays locked the
// same way while the goroutine ends.
func Do(fd int, fn func()) error {
	return do(fd, fn, setnsNet)
}

// do is [Do] with the switch back passed in, so that a test can make it fail
// without a process-wide hook: a real setns back into the original
// namespace cannot be made to fail on demand.
func do(fd int, fn func(), restore func(orig int) error) (err error) {
	if err := Check(fd); err != nil {
		return err
	}
	runtime.LockOSThread()
	orig, err := OpenCurrent()
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	// Already there, as for the process's own namespace: no switch, which
	// an unprivileged process could not make even into its own.
	if same, err := SameNs(orig, fd); err == nil && same {
		unix.Close(orig)
		defer runtime.UnlockOSThread()
		fn()
		return nil
	}
	return doFrom(orig, fd, fn, restore)
}

// doFrom is [do] on a thread the caller has locked and whose namespace orig
// refers to; orig is closed, and the lock undone, as [Leave] does.
func doFrom(orig, fd int, fn func(), restore func(orig int) error) (err error) {
	if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
		unix.Close(orig)
		runtime.UnlockOSThread()
		return fmt.Errorf("setns failed: %w", err)
	}
	defer func() {
		// On a panic or Goexit of fn, a failed switch back cannot be
		// returned: the thread stays locked and its goroutine ends.
		if rerr := leave(orig, restore); rerr != nil {
			err = rerr
		}
	}()
	fn()
	return nil
}

// Leave switches the calling thread, locked by the caller while it was in
// another namespace, back into the namespace orig refers to, closes orig and
// unlocks the thread. If switching back fails, Leave returns an error
// wrapping ErrRestore and leaves the thread locked: the caller must end its
// goroutine, so that the Go runtime retires the thread.
func Leave(orig int) error {
	return leave(orig, setnsNet)
}

func leave(orig int, restore func(orig int) error) error {
	err := restore(orig)
	unix.Close(orig)
	if err != nil {
		return fmt.Errorf("%w, reason: %w", ErrRestore, err)
	}
	runtime.UnlockOSThread()
	return nil
}

// setnsNet switches the calling thread into the network namespace fd refers to.
func setnsNet(fd int) error {
	return unix.Setns(fd, unix.CLONE_NEWNET)
}

// InUserNamespace reports whether the process runs in a user namespace other
// than the initial one, whose uid map covers all 2^32-1 ids from 0. Inside
// such a namespace the kernel loads no modules on the process's behalf.
func InUserNamespace() bool {
	b, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return false
	}
	return strings.Join(strings.Fields(string(b)), " ") != "0 0 4294967295"
}

// IDMapped reports whether the user id (or, with group set, the group id)
// has a mapping in the process's user namespace, as /proc/self/uid_map and
// gid_map list them. The kernel refuses unmapped ids with EINVAL.
func IDMapped(id uint32, group bool) bool {
	path := "/proc/self/uid_map"
	if group {
		path = "/proc/self/gid_map"
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		var inside, outside, count uint64
		if n, _ := fmt.Sscan(line, &inside, &outside, &count); n == 3 &&
			uint64(id) >= inside && uint64(id) < inside+count {
			return true
		}
	}
	return false
}

// Describe names the namespace fd refers to in messages, as [DescribeIno]
// does, or by the fd when that is not a namespace.
func Describe(fd int) string {
	ino, err := Ino(fd)
	if err != nil {
		return fmt.Sprintf("network namespace fd %d", fd)
	}
	return DescribeIno(ino)
}

// CurrentIno returns the inode number of the calling thread's network
// namespace, locking the thread while it looks.
func CurrentIno() (uint64, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	fd, err := OpenCurrent()
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	return Ino(fd)
}
