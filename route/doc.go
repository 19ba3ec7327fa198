// Package route adds transient routes to a network namespace: each route is
// removed again when the test node that added it ends, unless it is gone by
// then (a route goes with its link and with its namespace).
//
// See docs/namespaces-and-links.md in the repository for the guide to
// namespaces and links.
//
//	It("routes a prefix through a neighbour", func() {
//	    ns := netns.NewTransient()
//	    eth, _ := veth.NewTransient(veth.InNamespace(ns), veth.WithPeerNamespace(ns),
//	        veth.WithAddress("10.0.0.1/24"), veth.WithUp(), veth.WithPeerUp())
//	    route.Add(ns, "10.9.0.0/16", route.Via("10.0.0.2"))
//	    route.AddDefault(ns, "10.0.0.2")
//	    _ = eth
//	})
//
// A gateway must be reachable when the route is added: the kernel refuses a
// route via an address no link of the namespace has a route to ("network is
// unreachable"). Give the link its address and bring it up first.
package route
