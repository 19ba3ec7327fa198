// Package vlan creates transient 802.1Q (and 802.1ad) VLAN links: a link on
// a parent Ethernet link that sends and receives only the parent's frames
// tagged with its VLAN id.
//
// See docs/namespaces-and-links.md in the repository for the guide to
// namespaces and links.
//
//	It("puts a VLAN of a parent into a namespace of its own", func() {
//	    link.SkipUnlessSupported("vlan")
//	    parentNs, ns := netns.NewTransient(), netns.NewTransient()
//	    parent, _ := veth.NewTransient(veth.InNamespace(parentNs), veth.WithPeerNamespace(parentNs))
//	    v := vlan.NewTransient(42, parent,
//	        vlan.WithLinkNamespace(parentNs), // where the parent is found
//	        vlan.InNamespace(ns))             // where the VLAN link goes
//	    _ = v.Attrs().Index                   // its index in ns
//	})
//
// VLAN links need the kernel's 8021q driver (CONFIG_VLAN_8021Q, module
// "8021q"); minimal kernels often lack it, so specs that need it start with
// link.SkipUnlessSupported("vlan").
//
// # Pitfalls
//
// The kernel resolves the parent index in the namespace of the netlink socket
// that asks, not in the VLAN link's destination namespace. A parent in
// another namespace than the calling thread's needs [WithLinkNamespace];
// [NewTransient] refuses a parent whose link.Link wrapper or
// LinkAttrs.Namespace says it lives elsewhere without it, or whose index
// there belongs to a link of another name, rather than stacking the VLAN on
// whatever link has that index in the calling thread's namespace (see
// link.NewStacked).
//
// VLAN id 0 is accepted, as the kernel does (it means "priority tag only" on
// the wire); 4095 is reserved and refused.
//
// A VLAN link is only operationally up while its parent is.
package vlan
