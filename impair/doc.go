// Package impair makes a link behave like a real network path: delay with
// jitter and correlation, loss, duplication, reordering and corruption
// (netem), and rate limits (tbf, or netem's own rate). It works on any
// existing link, typically one end of a transient veth pair or of a lab wire:
//
// See docs/network-conditions.md in the repository for the guide to network
// conditions and faults.
//
//	dupond, _ := veth.NewTransient(...)
//	imp := impair.Link(dupond, impair.Delay(50*time.Millisecond), impair.Loss(1))
//	imp.Change(impair.Rate(1_000_000)) // now only 1 Mbit/s, no delay
//	imp.Remove()                       // clean again
//
// What it impairs is what the link sends (its egress): impair both ends of a
// veth pair to impair both directions. [AddPort] impairs only the TCP
// segments of one port (for helpers that remove it at times of their own,
// with [RemovePort], such as package fault's ImpairPort).
//
// # Cleanup
//
// The impairment is removed when the current node's cleanup runs, unless the
// link lives in a transient namespace that is torn down in the same scope:
// removing queueing disciplines there would be work for nothing.
//
// # Kernel support
//
// netem needs CONFIG_NET_SCH_NETEM (module sch_netem), tbf CONFIG_NET_SCH_TBF
// (sch_tbf). Minimal VM kernels often lack netem; guard specs with
// [SkipUnlessSupported], which skips with `kernel does not support qdisc
// "netem"`, or fails under SCRATCHNET_REQUIRE_KINDS=all. For rootless runs,
// load the modules on the host first.
//
// # Pitfalls
//
//   - Link replaces the link's root queueing discipline, but only the
//     kernel's default one: a root qdisc someone else added makes it fail.
//   - A rate limit queues about 50 ms of traffic and drops the rest, as a
//     real bottleneck does; TCP adapts, UDP senders see loss.
//   - Delay and loss apply to everything the link sends, ARP and neighbour
//     discovery included: with 100% loss, neighbours expire as well.
package impair
