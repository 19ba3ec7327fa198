// Package lab builds whole test topologies in a few lines — hosts, wires
// between them, shared segments, routers, routes — and tears all of it down
// in one cleanup.
//
// See docs/labs-and-topologies.md in the repository for the guide to labs and
// topologies.
//
//	It("routes between two subnets", func() {
//	    l := lab.New()
//	    alice, router, bob := l.Host("alice"), l.Router("router"), l.Host("bob")
//	    a, ra := l.Connect(alice, router) // 10.0.1.0/24 and fd00:0:0:1::/64
//	    b, rb := l.Connect(bob, router)   // 10.0.2.0/24 and fd00:0:0:2::/64
//	    alice.DefaultRoute(ra)
//	    bob.DefaultRoute(rb)
//	    alice.Execute(func() {
//	        // dial b.IPv4.Addr() from alice's namespace
//	    })
//	    _, _ = a, b
//	})
//
// Every host is a transient network namespace with lo up; [Lab.AddHosts]
// makes many at once, on every core. [Lab.Connect] joins
// two hosts with a veth pair; [Lab.Segment] puts a bridge into a namespace of
// its own and attaches each host with a veth pair, as hosts on one switch.
// Interfaces are named after what they lead to: in alice, the wire to the
// router is "router"; on a segment "lan", each host's interface is "lan" and
// the bridge's port for alice is "alice". Like a switch's, the bridge and
// its ports have no addresses, and IPv6 is off for the links of the
// segment's namespace: a port costs the same whatever the number of ports
// before it. A host has no name under
// /run/netns unless pinned: [Host.Pin] gives it one and returns it, so that
// `ip -n alice link` (in the sandbox; elsewhere the returned name has a
// unique suffix) reads like the test code. [Host.Path] gives a path of the
// host's namespace, for a CNI plugin's CNI_NETNS or "nsenter --net=".
//
// # Processes
//
// [Host.Start], [Host.Run] and [Host.Output] run commands inside a host's
// namespace (see [netns.Start]); [Host.WaitListening] and the returned
// process's WaitListening and WaitOutput wait until a server is ready. The
// processes are stopped at the end of the node that started them, before
// the lab is torn down, and a failing spec's report lists them per host.
//
// Unless told otherwise with [Subnet] or [Addrs], each wire and segment gets
// the next subnet pair 10.0.N.0/24 and fd00:0:0:N::/64 (N in hexadecimal
// in the IPv6 prefix), and its hosts the addresses .1, .2, ... (::1, ::2,
// ...) in the order they are attached. A segment of more than 254 members
// gets a larger IPv4 subnet (a /23 for 300) from [Members], or when its
// first [Segment.Attach] brings them all; otherwise the 255th member is
// refused with a message naming Members. IPv6
// duplicate address detection is off in a lab's namespaces, for link-local
// addresses too (a router needs one to resolve a forwarded packet's next
// hop), hosts send no router solicitations (a segment would flood each to
// all its members; advertisements a router sends unasked still count), and
// when the call returns every interface is up and operationally
// UP, with its IPv6 addresses ready (none tentative, each in its
// solicited-node group): traffic flows at once, and no first neighbour
// solicitation goes unanswered.
//
// # Go code in hosts
//
// [Host.Listen], [Host.ListenPacket] and [Host.Dial] give sockets that live
// in the host's namespace and work from any goroutine, so that Go code
// under test runs in the test process without Execute: a net/http server
// on alice's listener, queried by bob's [Host.HTTPClient]; a net.Resolver
// whose Dial is bob's [Host.Dialer]. [Host.Do] runs a library's callback in
// the host's namespace from the library's goroutine (see [netns.Do]).
// Everything is closed at the end of the node that made it.
//
// # Generated topologies and automatic routes
//
// [Lab.Star], [Lab.Chain], [Lab.Tree] and [Lab.LeafSpine] build a whole
// topology in one call, with hosts h1, h2, ... and routers r1, ... (spines
// s1, ... and leaves l1, ... in a fabric), addressed as above, and return
// it as a [Topology]. [Lab.AutoRoute] gives every host of any lab,
// generated or built by hand, static routes to every subnet over shortest
// paths through routers, in IPv4 and IPv6, the same routes in every run.
// The guide docs/labs.md shows them.
//
// # Captures and the diagram
//
// [Lab.Capture] records every interface of the lab's hosts into pcapng
// files, kept when the test fails (see the capture package);
// [Iface.Capture] records one. A lab's failure report begins with
// [Lab.Diagram], a compact text picture of hosts, routers, wires and
// segments; [Lab.Mermaid] draws the same as a Mermaid flowchart, which a
// capturing lab keeps next to its captures as topology.mmd. [Host.Note]
// and [Iface.Note] add marks to both, such as NAT on a router or the
// impairment of a wire end. The report of a lab of more than 16 hosts
// stays short: it draws and describes the hosts that the failure message
// names or [Lab.ReportInFull] marks, and counts the rest; hosts are listed
// in natural order, h2 before h10.
//
// # Realistic networks
//
// Wires and segments take link options ([WithMTU], [WithTxQLen],
// [WithHardwareAddrs]) and impairments ([Impair] for both directions,
// [ImpairFrom] for what one host sends; [Iface.Impair] changes them
// mid-spec). [Segment.AttachWith] plugs in a member without addresses
// ([NoAddrs]) or with chosen ones ([Addrs]). A host gets nftables rules with
// [Host.Firewall], becomes a NAT router with [Host.NAT] and forwards ports
// with [Host.PortForward]; [Host.Sysctl] sets its sysctls. [Reach] and its
// options assert what reaches what, and [Try] returns the outcomes; lab
// re-exports all of package reach (its Opt as [ReachOpt]):
//
//	Expect(alice).To(lab.Reach(bob))
//	Expect(alice).NotTo(lab.Reach(bob, lab.TCP(53)))
//
// [Iface.Impairment], [Iface.Impaired], [Host.NATs] and [Host.FirewallRules]
// tell reports and diagrams what a wire or host does.
//
// # Teardown
//
// The lab closes its namespaces at cleanup and lets the kernel remove every
// interface in them in one batch, instead of deleting links one by one (each
// deletion waits for an RCU grace period, tens of milliseconds). So nothing
// of a lab may be shared with namespaces outside it.
package lab
