// Package veth creates transient virtual Ethernet pairs: two links joined back
// to back, whatever goes into one comes out of the other. A veth pair is the
// usual way to connect two network namespaces in a test.
//
// See docs/namespaces-and-links.md in the repository for the guide to
// namespaces and links.
//
//	It("connects two namespaces", func() {
//	    left, right := netns.NewTransient(), netns.NewTransient()
//	    dupond, dupont := veth.NewTransient(
//	        veth.InNamespace(left), veth.WithPeerNamespace(right))
//	    link.EnsureAllUp(dupond, dupont) // an end is only UP once both are
//	})
//
// Both ends are returned with the Index they have in their own namespace, and
// with LinkAttrs.Namespace naming that namespace unless it is the calling
// thread's. The pair is deleted at the end of the node that created it.
//
// # Pitfall: where the peer lands
//
// The kernel creates the peer in the namespace of the netlink socket that asks
// for the pair, not in the namespace of the first end. So without
// [WithPeerNamespace], the peer lands in the calling thread's namespace even
// when [InNamespace] puts the first end elsewhere.
package veth
