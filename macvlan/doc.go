// Package macvlan creates transient macvlan links: virtual interfaces with a
// MAC address of their own, stacked on a parent Ethernet link, the way a CNI
// plugin attaches a container to a host NIC.
//
// See docs/namespaces-and-links.md in the repository for the guide to
// namespaces and links.
//
//	It("stacks a macvlan on a parent and moves it into a namespace", func() {
//	    parentNs, ns := netns.NewTransient(), netns.NewTransient()
//	    parent, _ := veth.NewTransient(veth.InNamespace(parentNs), veth.WithPeerNamespace(parentNs))
//	    mcvl := macvlan.NewTransient(parent,
//	        macvlan.WithLinkNamespace(parentNs), // where the parent is found
//	        macvlan.InNamespace(ns))             // where the macvlan goes
//	    _ = mcvl.Attrs().Index                   // its index in ns
//	})
//
// [LocateHWParent] finds a real ("device") interface of the calling thread's
// namespace to stack on, for tests that need hardware underneath.
//
// # Pitfall: where the parent is looked up
//
// The kernel resolves the parent index in the namespace of the netlink socket
// that sends the request, not in the macvlan's destination namespace. A parent
// in another namespace than the calling thread's therefore needs
// [WithLinkNamespace]; [NewTransient] refuses a parent whose link.Link
// wrapper or LinkAttrs.Namespace says it lives elsewhere without it, or
// whose index there belongs to a link of another name, instead of silently
// stacking the macvlan on whatever link has that index here (see
// link.NewStacked).
package macvlan
