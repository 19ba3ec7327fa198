package tuntap

import (
	"fmt"
	"math"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/link"
)

// TunPrefix starts the names of transient tun devices.
const TunPrefix = "tun-"

// TapPrefix starts the names of transient tap devices.
const TapPrefix = "tap-"

// allowedFlags are the TUNSETIFF flags a transient device may ask for.
// IFF_TUN_EXCL is always set by the link package; the queue count is fixed.
const allowedFlags = netlink.TUNTAP_NO_PI | netlink.TUNTAP_VNET_HDR | netlink.TUNTAP_MULTI_QUEUE

// Opt configures a tun or tap device before it is created; see the link
// package.
type Opt = link.Opt

// WithOwner lets the user uid attach to the device (besides root); without
// it, the owner is root.
func WithOwner(uid uint32) Opt {
	return link.OptFor(fmt.Sprintf("WithOwner(%v)", uid), func(tt *netlink.Tuntap) error {
		if uid == math.MaxUint32 {
			return fmt.Errorf("uid %d is not a valid user id", uid)
		}
		// Checked here, because the kernel answers an unmapped id with a
		// bare EINVAL, and vishvananda/netlink then leaks the device's fd.
		if !nsops.IDMapped(uid, false) {
			return fmt.Errorf("uid %d is not mapped in this user namespace", uid)
		}
		tt.Owner = uid
		return nil
	})
}

// WithGroup lets members of group gid attach to the device (besides root);
// without it, the group is root's.
func WithGroup(gid uint32) Opt {
	return link.OptFor(fmt.Sprintf("WithGroup(%v)", gid), func(tt *netlink.Tuntap) error {
		if gid == math.MaxUint32 {
			return fmt.Errorf("gid %d is not a valid group id", gid)
		}
		if !nsops.IDMapped(gid, true) {
			return fmt.Errorf("gid %d is not mapped in this user namespace", gid)
		}
		tt.Group = gid
		return nil
	})
}

// WithFlags sets TUNSETIFF flags: netlink.TUNTAP_NO_PI (no packet
// information header), TUNTAP_VNET_HDR (virtio-net header) and
// TUNTAP_MULTI_QUEUE, or'ed together.
func WithFlags(flags netlink.TuntapFlag) Opt {
	return link.OptFor(fmt.Sprintf("WithFlags(%#x)", flags), func(tt *netlink.Tuntap) error {
		if extra := flags &^ allowedFlags; extra != 0 {
			return fmt.Errorf("flags %#x are not among NO_PI, VNET_HDR and MULTI_QUEUE", uint16(extra))
		}
		tt.Flags |= flags
		return nil
	})
}

// NewTransientTun creates a transient, persistent tun device (IP packets, no
// Ethernet header), and returns it with its Index. It is deleted when the
// current node's cleanup runs.
func NewTransientTun(opts ...Opt) netlink.Link {
	GinkgoHelper()
	return NewTransientTunT(GinkgoTB(), opts...)
}

// NewTransientTunT is [NewTransientTun] for plain testing users.
func NewTransientTunT(t testing.TB, opts ...Opt) netlink.Link {
	t.Helper()
	return link.NewTransientT(t, &netlink.Tuntap{Mode: netlink.TUNTAP_MODE_TUN}, TunPrefix, opts...)
}

// NewTransientTap creates a transient, persistent tap device (Ethernet
// frames), and returns it with its Index. It is deleted when the current
// node's cleanup runs.
func NewTransientTap(opts ...Opt) netlink.Link {
	GinkgoHelper()
	return NewTransientTapT(GinkgoTB(), opts...)
}

// NewTransientTapT is [NewTransientTap] for plain testing users.
func NewTransientTapT(t testing.TB, opts ...Opt) netlink.Link {
	t.Helper()
	return link.NewTransientT(t, &netlink.Tuntap{Mode: netlink.TUNTAP_MODE_TAP}, TapPrefix, opts...)
}
