// Package nsops holds the error-returning primitives on network namespaces
// that the public packages build on: opening and checking namespace fds,
// switching a locked OS thread in and out of a namespace, and opening
// NETLINK_ROUTE-only handles bound to a namespace.
//
// Nothing here knows about tests: every function returns an error and leaves
// reporting to its caller. Switching a thread between network namespaces
// happens here (mntns, which sacrifices its thread, is the one exception);
// other packages only lock their thread so that "the calling thread's
// namespace" stays one namespace while they work.
package nsops

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"unsafe"

	"github.com/vishvananda/netlink"
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

// OpenCurrent opens the network namespace of the calling OS thread. The
// caller should hold the thread locked, or the answer may describe a thread
// the goroutine has already left.
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
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if err := Check(fd); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// Check reports whether fd is an open reference to a network namespace. It
// asks nsfs itself (NS_GET_NSTYPE), so a closed fd, /dev/null or a mount
// namespace are told apart from a network namespace.
func Check(fd int) error {
	if fd < 0 {
		return fmt.Errorf("invalid file descriptor %d", fd)
	}
	nstype, err := unix.IoctlRetInt(fd, unix.NS_GET_NSTYPE)
	if err != nil {
		if errors.Is(err, unix.EBADF) {
			return fmt.Errorf("file descriptor %d is not open", fd)
		}
		return fmt.Errorf("file descriptor %d is not a namespace reference (%w)", fd, err)
	}
	if nstype != unix.CLONE_NEWNET {
		return fmt.Errorf("file descriptor %d refers to a %s namespace, not a network namespace", fd, nsTypeName(nstype))
	}
	return nil
}

func nsTypeName(nstype int) string {
	switch nstype {
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

// Ino returns the inode number identifying the namespace fd refers to.
func Ino(fd int) (uint64, error) {
	if err := Check(fd); err != nil {
		return 0, err
	}
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

// HandleAt opens a netlink handle whose socket lives in the network namespace
// fd refers to. Only NETLINK_ROUTE is opened: without a family list
// vishvananda/netlink also opens XFRM and NETFILTER sockets, which fails on
// kernels where xfrm_user or nfnetlink are modules not loaded. The socket is
// opened through [Do] rather than netlink.NewHandleAt, whose namespace switch
// ignores a failure to switch back and unlocks the thread all the same.
func HandleAt(fd int) (*netlink.Handle, error) {
	var h *netlink.Handle
	var err error
	if derr := Do(fd, func() { h, err = HandleHere() }); derr != nil {
		return nil, derr
	}
	return h, err
}

// SubscribeLinksAt opens a socket in the network namespace fd refers to that
// receives the kernel's link notifications (RTNLGRP_LINK). A socket keeps the
// namespace it was created in, whatever thread later reads it.
func SubscribeLinksAt(fd int) (*nl.NetlinkSocket, error) {
	var s *nl.NetlinkSocket
	var err error
	if derr := Do(fd, func() { s, err = nl.Subscribe(unix.NETLINK_ROUTE, unix.RTNLGRP_LINK) }); derr != nil {
		return nil, derr
	}
	return s, err
}

// HandleHere opens a NETLINK_ROUTE-only handle whose socket lives in the
// calling thread's network namespace.
func HandleHere() (*netlink.Handle, error) {
	return netlink.NewHandle(unix.NETLINK_ROUTE)
}

// Unshare creates a new network namespace and returns an fd referring to it.
// The calling goroutine's thread ends up back in its original namespace;
// when that is impossible the error wraps ErrRestore and the thread is left
// locked on purpose.
func Unshare() (int, error) {
	return UnshareWith(nil)
}

// UnshareWith is [Unshare] that also runs setup, when not nil, on the
// thread while it is in the new namespace with lo up: writing sysctls there
// costs no extra pair of namespace switches. A setup error fails the call,
// and the new namespace is closed.
func UnshareWith(setup func() error) (int, error) {
	runtime.LockOSThread()
	orig, err := OpenCurrent()
	if err != nil {
		runtime.UnlockOSThread()
		return -1, err
	}
	defer unix.Close(orig)
	fd, err := unshareHere()
	if err == nil && setup != nil {
		if serr := setup(); serr != nil {
			unix.Close(fd)
			if rerr := unix.Setns(orig, unix.CLONE_NEWNET); rerr != nil {
				return -1, fmt.Errorf("%w, reason: %w (after: %w)", ErrRestore, rerr, serr)
			}
			runtime.UnlockOSThread()
			return -1, serr
		}
	}
	if errors.Is(err, ErrRestore) {
		// The thread is stuck in the new namespace: it stays locked, so
		// that the runtime retires it with its goroutine.
		return -1, err
	}
	if err != nil {
		runtime.UnlockOSThread()
		return -1, err
	}
	if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("%w, reason: %w", ErrRestore, err)
	}
	runtime.UnlockOSThread()
	return fd, nil
}

// EnterNew moves the calling thread, which the caller has locked, into a new
// network namespace with lo up, and returns an fd for it. On an error other
// than one wrapping ErrRestore the thread has not moved.
func EnterNew() (int, error) {
	return unshareHere()
}

// unshareHere moves the locked calling thread into a new network namespace,
// brings its loopback up and returns an fd for the new namespace. On error
// the thread is back where it was, unless the error wraps ErrRestore.
func unshareHere() (int, error) {
	orig, err := OpenCurrent()
	if err != nil {
		return -1, err
	}
	defer unix.Close(orig)
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
		if rerr := unix.Setns(orig, unix.CLONE_NEWNET); rerr != nil {
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

// Do runs fn with the calling goroutine locked to its thread and that thread
// switched into the network namespace fd refers to, and switches back
// afterwards, also when fn panics (the panic then continues). If switching
// back fails, Do panics with an error wrapping ErrRestore and leaves the thread
// locked so that the runtime retires it.
func Do(fd int, fn func()) error {
	return do(fd, fn, setnsNet)
}

// do is [Do] with the switch back passed in, so that a test can make it fail
// without a process-wide hook: a real setns back into the original
// namespace cannot be made to fail on demand.
func do(fd int, fn func(), restore func(orig int) error) error {
	if err := Check(fd); err != nil {
		return err
	}
	runtime.LockOSThread()
	orig, err := OpenCurrent()
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
		unix.Close(orig)
		runtime.UnlockOSThread()
		return fmt.Errorf("setns failed: %w", err)
	}
	defer leave(orig, restore)
	fn()
	return nil
}

// Leave switches the calling thread, locked by the caller while it was in
// another namespace, back into the namespace orig refers to, closes orig and
// unlocks the thread. If switching back fails, Leave panics with an error
// wrapping ErrRestore and leaves the thread locked, so that the Go runtime
// retires the thread when its goroutine ends.
func Leave(orig int) {
	leave(orig, setnsNet)
}

func leave(orig int, restore func(orig int) error) {
	err := restore(orig)
	unix.Close(orig)
	if err != nil {
		panic(fmt.Errorf("%w, reason: %w", ErrRestore, err))
	}
	runtime.UnlockOSThread()
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

// Describe names the namespace fd refers to in messages by its inode number,
// as "ip" and /proc show it, or by the fd when that is not a namespace.
func Describe(fd int) string {
	ino, err := Ino(fd)
	if err != nil {
		return fmt.Sprintf("network namespace fd %d", fd)
	}
	return fmt.Sprintf("network namespace net:[%d]", ino)
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
