// Package netkit creates transient netkit pairs: two links joined back to
// back like a veth pair, but built for BPF. The first link ("primary") is
// where BPF programs for both directions attach; with no program attached,
// each end passes or drops what it sends according to its policy. Cilium
// uses netkit in place of veth for its pods.
//
// See docs/namespaces-and-links.md in the repository for the guide to
// namespaces and links.
//
//	It("connects a pod namespace in L3 mode", func() {
//	    link.SkipUnlessKernel("netkit", 6, 7)
//	    link.SkipUnlessSupported("netkit")
//	    host, pod := netns.NewTransient(), netns.NewTransient()
//	    primary, peer := netkit.NewTransient(
//	        netkit.InNamespace(host), netkit.WithPeerNamespace(pod),
//	        netkit.WithAddress("10.0.0.1/24"), netkit.WithPeerAddress("10.0.0.2/24"),
//	        netkit.WithUp(), netkit.WithPeerUp())
//	})
//
// Both ends are returned with the Index they have in their own namespace and
// LinkAttrs.Namespace naming that namespace unless it is the calling
// thread's; the pair is deleted at the end of the node that created it.
//
// # Pitfalls
//
//   - netkit came with Linux 6.7 (CONFIG_NETKIT, a built-in option, not a
//     module): check with link.SkipUnlessKernel("netkit", 6, 7) and then
//     link.SkipUnlessSupported("netkit").
//   - The mode defaults to L3, as with "ip link add type netkit": the links
//     have no hardware address and no ARP. [WithMode] chooses L2, which
//     behaves like a veth pair with Ethernet addresses.
//   - As with a veth, the peer lands in the namespace of the netlink socket
//     that asks, not in the first end's, unless [WithPeerNamespace] says
//     otherwise.
//   - The peer's name and namespace are set through this package's options,
//     not through the template's SetPeerAttrs, which a transient pair
//     overrides.
package netkit
