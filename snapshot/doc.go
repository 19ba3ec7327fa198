// Package snapshot takes the network state of a namespace, says how two
// such snapshots differ in lines that read like a change log, and gives
// Gomega matchers and golden files for the questions tests ask of it: is
// the namespace as it was, did it change in just these ways, does it hold
// this, is it what the file says.
//
// A snapshot ([Take], [TakeT], [Collect]) reads, through netlink and
// sock_diag and /proc/sys/net, with no binary: links (kind, name, peer,
// whether up, MTU, master), their addresses, the routes of every table,
// the policy rules, the permanent neighbour entries, nftables tables,
// chains and rules, qdiscs, a documented set of sysctls
// ([DefaultSysctls], extended with [WithSysctls]) and listening sockets.
// Each is an [Item], one line of text, such as
//
//	link br0 bridge state up mtu 1500
//	address 10.0.1.2/24 dev br0
//	route 10.0.0.0/24 via 10.0.1.1 dev br0 table main
//	rule 100: from 10.1.0.0/16 lookup 42
//	neighbour 10.0.1.9 dev br0 lladdr 02:00:00:00:00:09
//	nft chain inet filter input type filter hook input priority 0 policy drop
//	sysctl net.ipv4.ip_forward = 1
//	socket tcp 0.0.0.0:8080
//
// Snapshots are normalised so that what the code under test did not do
// does not show: no counters, no interface indexes, no MAC addresses (which
// are random for most virtual links), links matched by name, kind and
// peer ([TransientNames] matches random names by their prefix), IPv6
// link-local addresses derived from a MAC folded into their link, and what
// the kernel makes by itself (routes of proto kernel, the local table,
// fe80::/64 and ff00::/8, the default rules, default qdiscs) left out
// unless [KeepKernelItems] keeps it, marked "(kernel)". Adding an address
// is then one line of a diff, not an address and three routes.
//
// [Compare] returns a [Diff], one [Change] a line:
//
//	fmt.Print(snapshot.Compare(before, after))
//	+ route 10.0.0.0/24 via 10.0.1.1 dev br0 table main
//	~ link br0 mtu 1500 -> 1400
//	- rule 100: from 10.1.0.0/16 lookup 42
//
// [BeUnchangedSince], [HaveChangedSince] and [ContainItems] match a
// namespace (an fd, a path, or anything with a Netns() int method such as
// a lab host) or a snapshot, and their failure messages are the diff.
// [MatchGolden] compares a snapshot or a diff with a file under testdata/,
// which SCRATCHNET_UPDATE_GOLDEN=1 rewrites.
//
// The guard package's host check is a snapshot of the process's network
// namespace before each spec compared with one after it.
//
// # Pitfalls
//
// A snapshot is a moment: state that settles after a change (an address's
// duplicate address detection, a neighbour the kernel learns, a socket a
// server closes when it has stopped) shows as it was when the snapshot
// was taken. The permanent neighbours only, and the admin state of links
// (not their carrier), keep what traffic does out of snapshots by default.
//
// Golden files hold across kernels only what every kernel makes alike.
// Sysctl defaults differ between kernel versions and hosts (a new
// namespace inherits some from the host's), so a golden snapshot should
// leave out [Sysctls]; nftables are empty on a kernel without nf_tables,
// as they are in a fresh namespace. A golden [Diff] holds only what the
// test changed, which makes it the sturdier choice.
//
// Not read: bridge forwarding databases and VLANs, xfrm states and
// policies, nftables sets and maps, tc filters and classes, and the
// link-specific attributes of each kind (a vxlan's VNI, a macvlan's mode).
package snapshot
