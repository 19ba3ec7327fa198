package vlan

import (
	"fmt"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/link"
)

// InNamespace creates the VLAN link in the network namespace netnsfd refers
// to; the fd stays owned by the caller.
var InNamespace = link.InNamespace

// WithLinkNamespace looks the parent up in the network namespace netnsfd
// refers to; without [InNamespace] the VLAN link is created there too.
var WithLinkNamespace = link.WithLinkNamespace

// WithAddress adds an address such as "10.0.0.1/24" or "fd00::1/64" to the
// VLAN link once it exists; see [link.WithAddress].
var WithAddress = link.WithAddress

// WithUp brings the VLAN link up once it exists; see [link.WithUp]. It only
// gets operationally up while its parent is up.
var WithUp = link.WithUp

// WithMTU creates the link with this MTU; see [link.WithMTU].
var WithMTU = link.WithMTU

// WithHardwareAddr creates the link with this hardware address, such as
// "02:00:00:00:00:01"; see [link.WithHardwareAddr].
var WithHardwareAddr = link.WithHardwareAddr

// WithTxQLen creates the link with this transmit queue length; see
// [link.WithTxQLen].
var WithTxQLen = link.WithTxQLen

// GoesWithNamespace leaves the VLAN link to its namespace's teardown instead
// of deleting it at cleanup; see [link.GoesWithNamespace].
var GoesWithNamespace = link.GoesWithNamespace

// WithReorderHeader switches header reordering on or off
// (VLAN_FLAG_REORDER_HDR, on by default): with it, the link hands received
// frames up without their VLAN tag, as if from an untagged device; without
// it, packet sockets on the link see the tag in the frame.
func WithReorderHeader(on bool) Opt {
	return link.OptFor(fmt.Sprintf("WithReorderHeader(%t)", on), func(v *netlink.Vlan) error {
		v.ReorderHdr = &on
		return nil
	})
}

// WithGVRP switches on or off registering the VLAN with the switch through
// GARP VLAN Registration Protocol (VLAN_FLAG_GVRP, off by default; the kernel
// needs CONFIG_VLAN_8021Q_GVRP to send anything).
func WithGVRP(on bool) Opt {
	return link.OptFor(fmt.Sprintf("WithGVRP(%t)", on), func(v *netlink.Vlan) error {
		v.Gvrp = &on
		return nil
	})
}

// WithMVRP switches on or off registering the VLAN through Multiple VLAN
// Registration Protocol, GVRP's successor (VLAN_FLAG_MVRP, off by default;
// the kernel needs CONFIG_VLAN_8021Q_MVRP to send anything).
func WithMVRP(on bool) Opt {
	return link.OptFor(fmt.Sprintf("WithMVRP(%t)", on), func(v *netlink.Vlan) error {
		v.Mvrp = &on
		return nil
	})
}

// WithLooseBinding switches loose binding on or off (VLAN_FLAG_LOOSE_BINDING,
// off by default): with it, the link's operational state no longer follows
// its parent's, so it stays up while the parent is down.
func WithLooseBinding(on bool) Opt {
	return link.OptFor(fmt.Sprintf("WithLooseBinding(%t)", on), func(v *netlink.Vlan) error {
		v.LooseBinding = &on
		return nil
	})
}
