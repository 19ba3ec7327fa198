// Package vxlan creates transient VXLAN links: virtual Ethernet segments
// tunnelled over UDP, identified by a 24-bit VNI, sending through an underlay
// link.
//
// See docs/namespaces-and-links.md in the repository for the guide to
// namespaces and links.
//
//	It("tunnels a namespace's Ethernet over an underlay in another", func() {
//	    underlayNs, ns := netns.NewTransient(), netns.NewTransient()
//	    underlay, _ := veth.NewTransient(veth.InNamespace(underlayNs), veth.WithPeerNamespace(underlayNs))
//	    vx := vxlan.NewTransient(underlay,
//	        vxlan.WithLinkNamespace(underlayNs), // where the underlay is found
//	        vxlan.InNamespace(ns),               // where the vxlan link goes
//	        vxlan.WithVNI(4711), vxlan.WithRemote("192.0.2.2"))
//	    _ = vx.Attrs().Index // its index in ns
//	})
//
// Unless options say otherwise, a transient VXLAN link has VNI [DefaultVNI],
// sends to the IANA port [DefaultDestinationPort] and learns remote addresses
// from received packets, as "ip link add ... type vxlan" does.
//
// VXLAN links need the kernel's vxlan driver (CONFIG_VXLAN, module "vxlan").
//
// # Pitfalls
//
// The kernel resolves the underlay index, and opens the tunnel's UDP socket,
// in the namespace of the netlink socket that asks: a VXLAN link created with
// [WithLinkNamespace] and [InNamespace] lives in one namespace and sends its
// encapsulated packets from the other. An underlay in another namespace than
// the calling thread's needs [WithLinkNamespace]; [NewTransient] refuses an
// underlay whose link.Link wrapper or LinkAttrs.Namespace says it lives
// elsewhere without it (see link.NewStacked).
//
// vishvananda/netlink sends every boolean VXLAN attribute, so its zero value
// switches learning off, and without a port the kernel picks its historic
// default 8472 rather than 4789; this package sets both explicitly.
//
// Two VXLAN links with the same VNI and destination port cannot share the
// namespace that sends their packets. The kernel answers EEXIST; the link
// package tells that apart from a name collision and fails at once with
// "file exists (not a name collision: ...)".
package vxlan
