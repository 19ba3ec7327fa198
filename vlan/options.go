package vlan

import (
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/link"
)

// WithReorderHeader switches header reordering on or off
// (VLAN_FLAG_REORDER_HDR, on by default): with it, the link hands received
// frames up without their VLAN tag, as if from an untagged device; without
// it, packet sockets on the link see the tag in the frame.
func WithReorderHeader(on bool) Opt {
	return link.OptFor("WithReorderHeader", func(v *netlink.Vlan) error {
		v.ReorderHdr = &on
		return nil
	})
}

// WithGVRP switches on or off registering the VLAN with the switch through
// GARP VLAN Registration Protocol (VLAN_FLAG_GVRP, off by default; the kernel
// needs CONFIG_VLAN_8021Q_GVRP to send anything).
func WithGVRP(on bool) Opt {
	return link.OptFor("WithGVRP", func(v *netlink.Vlan) error {
		v.Gvrp = &on
		return nil
	})
}

// WithMVRP switches on or off registering the VLAN through Multiple VLAN
// Registration Protocol, GVRP's successor (VLAN_FLAG_MVRP, off by default;
// the kernel needs CONFIG_VLAN_8021Q_MVRP to send anything).
func WithMVRP(on bool) Opt {
	return link.OptFor("WithMVRP", func(v *netlink.Vlan) error {
		v.Mvrp = &on
		return nil
	})
}

// WithLooseBinding switches loose binding on or off (VLAN_FLAG_LOOSE_BINDING,
// off by default): with it, the link's operational state no longer follows
// its parent's, so it stays up while the parent is down.
func WithLooseBinding(on bool) Opt {
	return link.OptFor("WithLooseBinding", func(v *netlink.Vlan) error {
		v.LooseBinding = &on
		return nil
	})
}
