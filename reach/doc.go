// Package reach asserts reachability between network namespaces with
// Gomega matchers: ICMP echo (IPv4 and IPv6), TCP connect, and UDP request
// and response, from a namespace fd or a lab host to an address or a lab
// host.
//
// See docs/labs-and-topologies.md in the repository for the guide to labs and
// topologies.
//
//	Expect(alice).To(reach.Reach(bob))                          // ICMP echo
//	Expect(alice).NotTo(reach.Reach(bob, reach.TCP(53)))        // no TCP on 53
//	Eventually(ns).Should(reach.Reach("fd00::2", reach.UDP(53))) // a UDP server answers
//
// The lab package re-exports every name of this package (lab.Reach, lab.TCP,
// lab.Try, lab.Refused and so on; Opt as lab.ReachOpt), so a lab spec needs
// only one import.
//
// Every Match is a fresh attempt, bounded by [DefaultTimeout] or [Within], so
// the matchers fit Eventually and Consistently. A failure names the source,
// the target and the probe, what became of each try ([Outcome]: timed out,
// refused, no route, unreachable, with the ICMP error's sender where there
// was one), and the source's route to each address, as "ip route get"
// would show it. [Try] gives the [Result]s themselves, for specs about the
// difference between a dropped port (times out) and a rejected one (refused
// at once).
//
// # Pitfalls
//
//   - An ICMP probe uses a raw socket: it needs root, or root of the user
//     namespace owning the network namespace (as in the rootless sandbox).
//     TCP and UDP probes need no privilege.
//   - A UDP probe needs a server that answers; silence means timed out.
//   - NotTo(Reach(...)) waits for the whole timeout when packets are
//     dropped: pass a short [Within] to keep such specs fast.
//   - A target with several addresses is reached when any of them is, of
//     IPv4 unless [IPv6] says otherwise (or the target has IPv6 only).
package reach
