// Package fault changes a lab's network while a spec runs, and undoes the
// change exactly: partitions between groups of hosts, interfaces that lose
// their carrier and get it back, wires that drop everything, TCP
// connections that are reset, stall, are cut after some data, carry small
// segments or one port's slow traffic, on a plan of their own or at random
// times drawn from a seed. Nothing sits in the path
// and the code under test is not changed: the faults are made in the
// kernels of the lab's hosts.
//
// Every fault is a [Fault], applied with [Inject] and healed with [Heal]
// (or at the end of the node), and what happened when goes on the spec's
// fault timeline, which a failing spec's report shows under "fault
// timeline":
//
//	l := lab.New()
//	a, b, c := l.Host("a"), l.Host("b"), l.Host("c")
//	l.Segment("lan").Attach(a, b, c)
//	cut := fault.Inject(fault.Partition([]*lab.Host{a, b}, []*lab.Host{c}))
//	// ... a and b cannot reach c, nor c them; a and b still talk ...
//	fault.Heal(cut)
//
// # Faults
//
//   - [Partition] cuts the traffic between groups of hosts both ways,
//     [OneWay] one way only, [Isolate] one host from all others: the links
//     stay up and packets vanish, for every protocol, on wires, segments
//     and routed paths.
//   - [Unplug] takes an interface's carrier, as pulling its cable would;
//     [Flap] does so for a while, in the background, optionally again
//     and again ([Repeat]).
//   - [Blackhole] makes a wire (or a segment attachment) drop everything
//     while both its ends stay up with carrier.
//
// # Connection faults
//
// Toxiproxy's toxics, in the kernel of one lab host, for its TCP
// connections: all of them, or those that options select ([Port] for a
// port at either end, [Peer] and [PeerAddr] for some peers). No proxy sits
// in the path: the code under test connects to the addresses it always
// uses.
//
//   - [Reset] answers the connections' packets, arriving, routed or sent,
//     with TCP resets to both ends: open connections fail with ECONNRESET,
//     new ones are refused.
//   - [Stall] drops every packet of the connections: new ones time out,
//     open ones carry nothing and retransmit until the heal or their own
//     timeouts.
//   - [LimitData] cuts each connection, with resets as Reset sends them,
//     once it has carried more than a number of bytes, as connection
//     tracking counts them.
//   - [Slice] clamps the maximum segment size that new connections'
//     handshakes announce, so that their data arrives in small segments.
//   - [ImpairPort] delays or limits, as options of package impair say,
//     only what the host sends on one TCP port.
//
// # Plans
//
// A [Plan] applies and heals faults at times relative to its start, in the
// background: [NewPlan] with [At], [HealAt] and [Every] steps, or [Random],
// which draws faults and times from a seed. The seed is in the plan's name,
// on the timeline and in GinkgoWriter; [Seed] replays it. [Plan.Stop], or
// the end of the node, stops a plan and heals what it left applied.
//
// # The timeline
//
// Each event has its time relative to the spec's start and its wall-clock
// time, in the format of the decoded packets that package capture puts in
// the report, which are stamped by the same clock: a reader sees that the
// client's last SYN left 1.2 s after the partition. [Timeline] returns the
// events to the spec. A plain test has no recorded start: its times count
// from its first event.
//
// # Cleanup
//
// Inject registers a cleanup that heals the fault at the end of the node
// that injected it, which is before the lab's namespaces close when the lab
// was made earlier. A heal is exact: a partition, a blackhole or a
// connection fault deletes the nftables tables of its own (made by
// [firewall.Make] or [firewall.MakeIngressDrop], named
// [firewall.TablePrefix] and random characters) and touches no other;
// [LimitData] turns connection tracking's byte counting off again if it
// turned it on; [ImpairPort] gives the interfaces it shaped their default
// queueing discipline back; a link fault sets the far end as it was. A
// fault's tables in several namespaces are made and deleted on goroutines of
// their own, one per namespace, and the nftables sockets are closed in the
// background: closing one waits for an RCU grace period after a deletion,
// which the heal need not wait for, as its deletion took effect before. A
// fault keeps its namespaces open while it is applied, so its heal works
// even when the lab was torn down first. Apply faults only while their lab
// exists.
//
// # Kernel support and what is observable
//
//   - Partitions, blackholes and connection faults need nftables
//     (firewall.SkipUnlessSupported with firewall.Tables); a blackhole needs
//     the netdev family too (CONFIG_NF_TABLES_NETDEV), which distribution
//     kernels have; [Reset] and [LimitData] need reject rules
//     (firewall.RejectRules) and rewrite packets (firewall.Rewrite), which
//     recent kernels (6.18, Debian's 7.2) refuse in a user namespace other
//     than the initial one, as in the rootless sandbox: there Apply fails.
//     [Stall], [Slice] and [ImpairPort] work there. [ImpairPort] needs htb,
//     and sch_netem for delays (impair.SkipUnlessSupported).
//   - A veth has no carrier of its own to lose: the far end is set down,
//     and the interface stays up (IFF_UP) without IFF_LOWER_UP, as "ip link"
//     shows NO-CARRIER. The flags change at once, but the kernel tells
//     carrier changes through its link watch, at most about once a second
//     per interface when both ends have the same index (as in a lab's
//     namespaces), coalescing faster changes into one message of the last
//     state: code that listens for RTM_NEWLINK may not see a flap shorter
//     than a second at all. The far end's own messages (IFF_UP going off
//     and on) come at once.
//
// # Pitfalls
//
//   - A partition cuts the addresses its hosts have when it is applied; an
//     address added later is not cut until it is applied again.
//   - A partition drops what arrives for a host, not what a host of a
//     group routes for others: a router in a group still forwards between
//     hosts outside it.
//   - Neighbour entries fail while a blackhole or partition holds: the
//     first connection attempt after the heal may wait for a resolution.
//   - [Slice] acts on handshakes: connections set up before the fault keep
//     their segment size.
//   - [LimitData] counts whole IP packets, headers included, both
//     directions together, from when connection tracking first saw a
//     connection: a transfer stops a little short of the limit, never
//     beyond. It turns on the namespace's net.netfilter.nf_conntrack_acct
//     while applied (and off again at the heal if it was off), and
//     connections that the host's connection tracking followed before the
//     fault (for NAT, say) are not cut.
//   - [Reset] and [LimitData] mark the tracked connections they cut with
//     the bit [firewall.CutMark] of the connection tracking mark; those
//     entries keep it until they expire.
//   - [ImpairPort] shapes what the host sends only; impair the peer too to
//     shape both directions. It needs each interface's root queueing
//     discipline: an interface that a lab's Impair (or another ImpairPort)
//     already shapes makes Apply fail. Its filters find the ports of IPv4
//     packets without IP options and of IPv6 packets without extension
//     headers.
package fault
