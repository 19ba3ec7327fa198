// Package link is the machinery behind every transient network interface of
// this module: it creates a link from a template, gives it a random name,
// finds it where it really ended up, and deletes it again when the test node
// that made it ends, whatever happened in it.
//
// See docs/namespaces-and-links.md in the repository for the guide to
// namespaces and links.
//
// The kind packages (veth, dummy, macvlan, ...) are thin layers over
// [NewTransient]: a template, a name prefix and a few options. Use this
// package directly for kinds that have no package of their own:
//
//	It("creates a bridge in a transient namespace", func() {
//	    ns := netns.NewTransient()
//	    br := link.NewTransient(&netlink.Bridge{}, "br-", link.InNamespace(ns))
//	    link.EnsureUp(br)
//	    // br.Attrs().Index is the bridge's index in ns;
//	    // br.Attrs().Namespace is netlink.NsFd(ns), so EnsureUp found it there.
//	})
//
// # Which namespace
//
// Three namespaces may be involved in creating a link, and vishvananda/netlink
// mixes them up easily (the specs in this module's netlink directory show how):
//
//   - the destination, LinkAttrs.Namespace, set by [InNamespace];
//   - the namespace of the netlink socket sending the request, in which the
//     kernel resolves references to other links, such as a macvlan's parent;
//     it is the calling thread's namespace unless [WithLinkNamespace] names
//     another one;
//   - for a veth or netkit pair, the peer's namespace, which is the socket's
//     namespace (not the destination!) unless the veth's PeerNamespace (a
//     netkit's: the wrapper's [Link.PeerNamespace]) says otherwise.
//
// A returned link always carries the Index it has in its own namespace, and
// its LinkAttrs.Namespace names that namespace unless it is the calling
// thread's.
//
// An existing link, passed to [AddAddress], [EnsureUp], [EnsureAllUp],
// [Enslave], [Locate] (and so to impair.Link, capture.Link, route.Dev and
// the kind packages' port helpers), lives in the namespace its [Link]
// wrapper's LinkNamespace names ([WrapWithLinkNamespace]), else in the one
// its LinkAttrs.Namespace names, else in the calling thread's; a stacked
// link's parent that names none is taken to live where the creation request
// looks it up (see [NewStacked]). A wrapper and a LinkAttrs.Namespace naming
// different namespaces fail. Before acting, the helpers check there that the
// link's Index belongs to a link of its Name, so a stale or misplaced link
// fails instead of reaching whatever link has that index. A link looked up
// through a handle bound to another namespace (netns.NewNetlinkHandle, a lab
// host's Handle) has a nil LinkAttrs.Namespace: name its namespace, as in
//
//	lo, _ := netns.NewNetlinkHandle(server).LinkByName("lo")
//	link.AddAddress(link.WrapWithLinkNamespace(lo, server), "192.0.2.10/32")
//
// Unnamed, such a link fails with a message saying so, unless a link of
// the same index and name lives in the calling thread's namespace too, as lo
// does: then the helper cannot tell them apart and acts on the caller's.
//
// # Building blocks
//
//   - [NewStacked] creates a link on a parent (macvlan, ipvlan, vlan, ...),
//     refusing a parent that lives where the request would not find it.
//   - [WithAddress] and [WithUp] configure a link as it is created
//     ([WithPeerAddress] and [WithPeerUp] a veth peer); IPv6 addresses skip
//     duplicate address detection. [AddAddress] adds a
//     transient address to any link.
//   - [Enslave] makes a link the port of a bridge, bond or vrf, and releases
//     it at cleanup.
//   - [GoesWithNamespace] leaves a link to its namespace's teardown instead of
//     deleting it, which saves the kernel an RCU grace period per link. The
//     cleanup does so by default where every end of the link lives in
//     transient namespaces of the same spec or test; a cleanup registered
//     after such a namespace but before the link then still sees the link
//     (notwork had deleted it by then). [DeleteExplicitly] deletes it in the
//     link's own cleanup instead.
//   - [EnsureUp] and [EnsureAllUp] wait on link notifications until links are
//     operationally up.
//
// # Kernel support
//
// When the kernel lacks a link kind, creation fails with "kernel does not
// support link type ..."; [SkipUnlessSupported] lets a spec skip instead, and
// [SkipUnlessCreatable] does the same for a kernel feature that is not a kind
// of its own (such as bridge VLAN filtering).
// Inside a user namespace the kernel does not load modules, so a kind whose
// module is not loaded yet is unsupported there too.
//
// Every helper has a sibling ending in T taking a [testing.TB], for plain
// "go test" users; the Ginkgo helpers call those with GinkgoTB().
package link
