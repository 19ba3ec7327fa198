package link

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// send asks the kernel for the link through h, which is bound to the
// namespace the request is sent from.
//
// Tuntap links are the exception: the kernel refuses to create them through
// rtnetlink, so vishvananda/netlink opens /dev/net/tun and issues TUNSETIFF
// instead. The kernel then creates the device in the network namespace of
// the thread that opened /dev/net/tun, ignoring the handle's socket as well
// as LinkAttrs.Namespace. sendTuntap makes that thread's namespace the
// intended one.
func (r *request) send(h *netlink.Handle) error {
	if tt, ok := r.link.(*netlink.Tuntap); ok {
		return r.sendTuntap(tt)
	}
	return h.LinkAdd(r.link)
}

// sendTuntap creates a persistent tun or tap device directly in its
// destination namespace, by switching the locked calling thread there for
// the open of /dev/net/tun, and using a handle bound there for what
// vishvananda/netlink does through netlink afterwards (index look-up,
// MasterIndex). So, unlike for other kinds, a tuntap's MasterIndex refers to
// a link in the destination namespace.
func (r *request) sendTuntap(tt *netlink.Tuntap) error {
	if tt.NonPersist || tt.Queues != 0 {
		// A non-persistent device vanishes with its last fd, and queues
		// would leave fds in Tuntap.Fds that nobody closes.
		return errors.New("a transient tuntap must be persistent and hold no file descriptors (NonPersist false, Queues 0)")
	}
	dest, err := r.tuntapNs()
	if err != nil {
		return err
	}
	defer unix.Close(dest)
	h, err := nsops.RouteHandleAt(dest)
	if err != nil {
		return err
	}
	defer h.Close()
	// Without IFF_TUN_EXCL, TUNSETIFF on the name of an existing tun device
	// attaches to that device instead of failing; vishvananda/netlink only
	// sets the flag when Flags is zero. The copy keeps the caller's Flags.
	req := *tt
	req.Flags |= netlink.TUNTAP_TUN_EXCL
	var addErr error
	if err := nsops.Run(dest, func() { addErr = h.LinkAdd(&req) }); err != nil {
		return err
	}
	if addErr == nil {
		addErr = setTuntapAttrs(h, &req)
	}
	// Only the open of /dev/net/tun returns a bare errno, and, without a
	// MasterIndex, no later step can fail with these. Without the driver or
	// the device node, tun devices are out of reach just as a missing kind
	// is; a node this process may not open is a matter of privilege.
	if tt.MasterIndex == 0 && (errors.Is(addErr, unix.ENODEV) || errors.Is(addErr, unix.ENOENT)) {
		return fmt.Errorf("no usable /dev/net/tun (%w): %w", addErr, unix.EOPNOTSUPP)
	}
	if tt.MasterIndex == 0 && errors.Is(addErr, unix.EACCES) {
		return fmt.Errorf("cannot open %s: %w", tunDevice, addErr)
	}
	return addErr
}

// tuntapNs returns a new fd for the namespace a tuntap is to be created in:
// its LinkAttrs.Namespace, else its link namespace, else the calling
// thread's (which the caller holds locked).
func (r *request) tuntapNs() (int, error) {
	if fd, ok := r.link.Attrs().Namespace.(netlink.NsFd); ok {
		return nsops.Dup(int(fd))
	}
	return r.openSocketNs()
}

// tunDevice is the device node through which tun and tap devices are made.
const tunDevice = "/dev/net/tun"

// tunDeviceDenied tells whether kind needs /dev/net/tun and the process may
// not open it: it belongs to root with mode 0600 on some systems, and a user
// namespace does not make its root the host's.
func tunDeviceDenied(kind string) error {
	if kind != "tuntap" && kind != "tun" {
		return nil
	}
	fd, err := unix.Open(tunDevice, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
		return fmt.Errorf("cannot open %s: %w", tunDevice, err)
	}
	if err == nil {
		unix.Close(fd)
	}
	return nil
}
