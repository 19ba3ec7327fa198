// Package bridge creates transient Linux bridges and attaches ports to them
// for the duration of a test: a software switch that joins the links
// enslaved to it into one Ethernet segment.
//
// See docs/namespaces-and-links.md in the repository for the guide to
// namespaces and links.
//
//	It("switches between two namespaces", func() {
//	    sw, left, right := netns.NewTransient(), netns.NewTransient(), netns.NewTransient()
//	    br := bridge.NewTransient(bridge.InNamespace(sw), bridge.WithUp())
//	    for _, ns := range []int{left, right} {
//	        port, end := veth.NewTransient(veth.InNamespace(sw), veth.WithPeerNamespace(ns))
//	        bridge.AddPort(br, port) // released again at the end of the spec
//	        link.EnsureAllUp(port, end)
//	    }
//	})
//
// The bridge is deleted at the end of the node that created it; [AddPort]
// detaches its port then, if both are still there, so a port that outlives
// the test (one not created by it, say) is left as it was found.
//
// # Pitfalls
//
// A bridge and its ports must live in the same network namespace, and a
// bridge cannot move to another namespace once created (the kernel marks it
// namespace-local): create it where it belongs, with [InNamespace].
//
// VLAN filtering ([WithVlanFiltering]) needs CONFIG_BRIDGE_VLAN_FILTERING.
// Without it the kernel creates the bridge, fails to switch filtering on, and
// deletes the bridge again, answering "operation not supported" — the same
// answer as for a kernel without bridges at all. Specs needing it call
// [SkipUnlessVlanFiltering] first.
//
// A bridge without ports reports the operational state UNKNOWN once up,
// which [link.EnsureUp] accepts; it only forwards once its ports are up.
package bridge
