package netns

import (
	"fmt"
	"runtime"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// Current returns an fd referring to the network namespace of the calling
// goroutine's thread. The fd is closed at cleanup; the caller must not close
// it. Unless the goroutine is locked to its thread (as inside [Execute] or
// after [EnterTransient]), this is the namespace of whatever thread the
// goroutine happens to run on, normally the process's.
func Current() int {
	GinkgoHelper()
	return CurrentT(GinkgoTB())
}

// CurrentT is [Current] for plain testing users.
func CurrentT(t testing.TB) int {
	t.Helper()
	fd, err := nsops.OpenCurrent()
	if err != nil {
		t.Fatalf("cannot open current network namespace, reason: %v", err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

// CurrentIno returns the inode number of the calling thread's network
// namespace, which identifies the namespace for as long as it exists.
func CurrentIno() uint64 {
	GinkgoHelper()
	return CurrentInoT(GinkgoTB())
}

// CurrentInoT is [CurrentIno] for plain testing users.
func CurrentInoT(t testing.TB) uint64 {
	t.Helper()
	ino, err := nsops.CurrentIno()
	if err != nil {
		t.Fatalf("cannot determine current network namespace, reason: %v", err)
	}
	return ino
}

// Ino returns the inode number of the network namespace ref refers to: an
// open fd, or a path such as /proc/1/ns/net or /run/netns/blue. It fails the
// spec when ref does not refer to a network namespace.
func Ino[R ~int | ~string](ref R) uint64 {
	GinkgoHelper()
	return InoT(GinkgoTB(), ref)
}

// InoT is [Ino] for plain testing users.
func InoT[R ~int | ~string](t testing.TB, ref R) uint64 {
	t.Helper()
	ino, err := nsops.FdOrPathIno(ref, unix.CLONE_NEWNET)
	if err != nil {
		t.Fatalf("cannot determine inode number of network namespace %v, reason: %v", ref, err)
	}
	return ino
}

// NsID returns the nsid that the calling thread's network namespace uses for
// the namespace ref refers to (an fd or a path), assigning a free one first if
// none is set yet. netlink messages name other namespaces by these ids, for
// instance as the IFLA_LINK_NETNSID of a veth whose peer lives elsewhere.
// An assigned nsid stays for as long as both namespaces exist.
func NsID[R ~int | ~string](ref R) int {
	GinkgoHelper()
	return NsIDT(GinkgoTB(), ref)
}

// NsIDT is [NsID] for plain testing users.
func NsIDT[R ~int | ~string](t testing.TB, ref R) int {
	t.Helper()
	id := -1
	err := nsops.WithFdOrPath(ref, unix.CLONE_NEWNET, func(fd int) error {
		// Ask and assign from one socket on one locked thread, so that both
		// requests speak for the same "current" namespace.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		h, err := nsops.HandleHere()
		if err != nil {
			return err
		}
		defer h.Close()
		if id, err = h.GetNetNsIdByFd(fd); err != nil || id >= 0 {
			return err
		}
		// A negative nsid asks the kernel to pick a free one.
		if err := h.SetNetNsIdByFd(fd, -1); err != nil {
			return fmt.Errorf("cannot assign nsid, reason: %w", err)
		}
		id, err = h.GetNetNsIdByFd(fd)
		return err
	})
	if err == nil && id < 0 {
		err = fmt.Errorf("kernel assigned no nsid")
	}
	if err != nil {
		t.Fatalf("cannot determine nsid of network namespace %v, reason: %v", ref, err)
	}
	return id
}

// NewNetlinkHandle returns a netlink handle whose sockets live in the network
// namespace netnsfd refers to, so that its requests act there whatever
// thread or namespace the caller is in. The handle is closed at cleanup; the
// caller must not close it. netnsfd stays owned by the caller and may be
// closed once the handle exists.
//
// It has a socket for every netlink family vishvananda/netlink sends
// requests on: NETLINK_ROUTE (links, addresses, routes), NETLINK_XFRM
// (IPsec), NETLINK_NETFILTER (conntrack), NETLINK_GENERIC (devlink,
// ethtool, wireguard ...), NETLINK_SOCK_DIAG and NETLINK_RDMA, each opened
// inside that namespace. NETLINK_ROUTE is required. Where the kernel refuses
// another family (its module not loaded, or not loadable from a user
// namespace), the handle still works and every request of that family fails
// with ECONNREFUSED ("connection refused"): it never reaches another
// namespace, as it would through a handle of vishvananda/netlink's own that
// lacks the family. SupportsNetlinkFamily reports true for every one of
// these families.
func NewNetlinkHandle(netnsfd int) *netlink.Handle {
	GinkgoHelper()
	return NewNetlinkHandleT(GinkgoTB(), netnsfd)
}

// NewNetlinkHandleT is [NewNetlinkHandle] for plain testing users.
func NewNetlinkHandleT(t testing.TB, netnsfd int) *netlink.Handle {
	t.Helper()
	h, err := nsops.HandleAt(netnsfd)
	if err != nil {
		t.Fatalf("cannot create netlink handle for %s, reason: %v", nsops.Describe(netnsfd), err)
	}
	t.Cleanup(h.Close)
	return h
}
