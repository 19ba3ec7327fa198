// Package fault changes a lab's network while a spec runs, and undoes the
// change: partitions between groups of hosts that heal, links that lose
// carrier and come back, wires that drop everything, on a schedule of
// their own or at random times drawn from a seed. Every fault is a [Fault],
// applied with [Inject] and healed with [Heal] (or at the end of the node),
// and what happened when is kept on the spec's fault timeline, which a
// failing spec's report shows under "fault timeline".
//
// A partition drops packets in the kernel of each host, with nothing in the
// path and no change to the code under test:
//
//	l := lab.New()
//	a, b, c := l.Host("a"), l.Host("b"), l.Host("c")
//	l.Segment("lan").Attach(a, b, c)
//	p := fault.Inject(fault.Partition([]*lab.Host{a, b}, []*lab.Host{c}))
//	// ... a and b cannot reach c, nor c them ...
//	fault.Heal(p)
//
// # The timeline
//
// Each event has its time relative to the spec's start and its wall-clock
// time, in the format of the decoded packets of package capture, which
// stamps them with the same clock. A plain test has no recorded start: its
// times count from its first event.
//
// # Cleanup
//
// Inject registers a cleanup that heals the fault at the end of the node
// that injected it, before the lab's namespaces close. A heal is exact: a
// partition deletes its own nftables table and touches no other; a link
// fault sets the link as it was.
package fault
