// Package vrf creates transient VRF (virtual routing and forwarding) devices
// and enslaves links to them for the duration of a test: the routes of links
// enslaved to a VRF go to the VRF's own routing table, separate from the main
// table.
//
// See docs/namespaces-and-links.md in the repository for the guide to
// namespaces and links.
//
//	It("routes a link through a table of its own", func() {
//	    link.SkipUnlessSupported("vrf")
//	    ns := netns.NewTransient()
//	    v := vrf.NewTransient(100, vrf.InNamespace(ns), vrf.WithUp())
//	    member, _ := veth.NewTransient(veth.InNamespace(ns), veth.WithPeerNamespace(ns))
//	    vrf.AddMember(v, member) // released again at the end of the spec
//	})
//
// The VRF is deleted at the end of the node that created it; [AddMember]
// releases its member then, if both are still there.
//
// VRFs need the kernel's vrf driver (CONFIG_NET_VRF, module "vrf"); minimal
// kernels often lack it, so specs start with link.SkipUnlessSupported("vrf").
//
// # Pitfalls
//
// Enslaving a link moves the routes of its addresses, including the local
// ones, from the main and local tables to the VRF's table; releasing it moves
// them back. Code under test must look them up there (or bind its sockets to
// the VRF device).
//
// A VRF and its members must live in the same network namespace, and a VRF
// cannot move to another namespace once created: create it where it belongs,
// with [InNamespace].
package vrf
