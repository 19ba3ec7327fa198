// Package example is a runnable tour of scratchnet: a Ginkgo suite whose specs
// use the library the way a test of networking code would, one readable By()
// step at a time. Run it with
//
//	make example
//
// (or "go test -count=1 -v ./example/ -ginkgo.v"). It needs root or user
// namespaces: the suite runs itself in a sandbox (package sandbox), and only
// where neither is available do the specs skip with "needs root". The specs
// show how to
//
//   - run a spec inside a throw-away network namespace of its own
//     (netns.EnterTransient), where lo is already up;
//   - join two transient namespaces with a veth pair, one end in each, bring
//     both ends up, give them addresses and talk TCP across the pair
//     (netns.NewTransient, veth.NewTransient with InNamespace and
//     WithPeerNamespace, link.EnsureAllUp, netns.Execute);
//   - stack a macvlan on a veth end that lives in another namespace than the
//     macvlan (macvlan.WithLinkNamespace for where the parent is looked up,
//     macvlan.InNamespace for where the macvlan goes);
//   - use a dummy link where the kernel has the driver, and skip cleanly where
//     it has not (link.SkipUnlessSupported, dummy.NewTransientUp);
//   - give a veth pair IPv4 and IPv6 addresses as it is created and send TCP
//     over both at once (veth.WithAddress, WithPeerAddress, WithUp);
//   - build whole topologies with the lab package: three hosts on one bridged
//     segment exchanging UDP, and a routed hop through a router host.
//
// Nothing needs tearing down by hand: every namespace fd is closed and every
// link deleted when the spec that made it ends, whatever happened in it.
// Nothing is created in the namespace the test process runs in.
package example
