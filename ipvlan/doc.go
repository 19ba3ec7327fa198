// Package ipvlan creates transient ipvlan links: virtual interfaces stacked on
// a parent Ethernet link that share the parent's MAC address and are told
// apart by their IP addresses, as container networks do where a switch port
// accepts only one MAC address.
//
// See docs/namespaces-and-links.md in the repository for the guide to
// namespaces and links.
//
//	It("gives a namespace an L3 ipvlan of a parent", func() {
//	    link.SkipUnlessSupported("ipvlan")
//	    parentNs, ns := netns.NewTransient(), netns.NewTransient()
//	    parent, _ := veth.NewTransient(veth.InNamespace(parentNs), veth.WithPeerNamespace(parentNs))
//	    ipvl := ipvlan.NewTransient(parent,
//	        ipvlan.WithLinkNamespace(parentNs), // where the parent is found
//	        ipvlan.InNamespace(ns),             // where the ipvlan goes
//	        ipvlan.WithMode(netlink.IPVLAN_MODE_L3))
//	    _ = ipvl.Attrs().Index // its index in ns
//	})
//
// The mode is L2 (netlink.IPVLAN_MODE_L2) and the flag "bridge"
// (netlink.IPVLAN_FLAG_BRIDGE) unless [WithMode] and [WithFlag] say otherwise.
// That is the CNI ipvlan plugin's default and vishvananda/netlink's zero
// value; note that "ip link add ... type ipvlan" defaults to L3.
//
// ipvlan links need the kernel's ipvlan driver (CONFIG_IPVLAN, module
// "ipvlan"), and mode L3S needs CONFIG_IPVLAN_L3S besides; minimal kernels
// often lack them, so specs start with link.SkipUnlessSupported("ipvlan").
//
// # Pitfalls
//
// The mode belongs to the parent, not to one ipvlan: all ipvlans on a parent
// share it, and creating one with another mode switches the others too.
//
// The kernel resolves the parent index in the namespace of the netlink socket
// that asks; a parent in another namespace than the calling thread's needs
// [WithLinkNamespace], and [NewTransient] refuses a parent whose link.Link
// wrapper or LinkAttrs.Namespace says it lives elsewhere without it (see
// link.NewStacked).
//
// The parent must be an Ethernet link other than lo: a veth will do.
package ipvlan
