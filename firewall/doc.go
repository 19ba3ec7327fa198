// Package firewall puts NAT and filter rules into a transient network
// namespace, through nftables (github.com/google/nftables speaks its netlink
// protocol; nothing runs the nft binary):
//
// See docs/network-conditions.md in the repository for the guide to network
// conditions and faults.
//
//	router := netns.NewTransient()
//	firewall.New(router,
//	    firewall.Masquerade("wan"),                               // source NAT towards "wan"
//	    firewall.PortForward(firewall.TCP(8080), "10.0.1.2:80"),  // destination NAT to an inner server
//	    firewall.Drop(firewall.From("10.0.9.0/24")),              // silently
//	    firewall.Reject(firewall.TCP(25)))                        // refused at once
//
// Each [New] makes one table of the inet family (IPv4 and IPv6), named
// [TablePrefix] and random characters, with base chains made as rules need
// them: nat prerouting (port forwards), nat postrouting (masquerade, SNAT),
// and filter input and forward (drop and reject, so they apply to the
// namespace's own traffic and to what it routes). [Table.Add] appends rules
// mid-spec.
//
// # Cleanup
//
// The table is deleted when the current node's cleanup runs, unless its
// namespace is a transient one that is torn down in the same scope: the
// rules then go with the namespace.
//
// Helpers that add and remove rules at times of their own, such as the
// faults of package fault, use [Make] and [Remove] instead: they return
// errors and register no cleanup. [MakeIngressDrop] makes, for them, a
// table of the netdev family that drops every frame arriving at one
// interface. Such helpers also use the rules that only they need: [Cut]
// (reset connections at both ends), [ClampMSS], [ConnBytesOver],
// [Rule.AlsoOutgoing] for the packets the namespace sends itself and
// [Rule.OnlyArriving] for those that arrive for it, not those it routes.
//
// Each operation uses one nftables netlink socket, whose close is left to
// the background: closing a netfilter socket waits, after a deletion
// anywhere in the kernel, for an RCU grace period (about 10 ms), while the
// deletion itself took effect before. Until that close is done, the next
// change in the same namespace waits for it.
//
// # Kernel support
//
// nftables needs CONFIG_NF_TABLES and CONFIG_NF_TABLES_INET, NAT rules
// CONFIG_NFT_NAT and CONFIG_NFT_MASQ (and connection tracking), reject
// rules CONFIG_NFT_REJECT_INET. [SkipUnlessSupported] probes each of
// [Tables], [NAT] and [RejectRules] and skips with `kernel does not support
// nftables-nat` and the like, or fails under SCRATCHNET_REQUIRE_KINDS=all.
// In a rootless sandbox nftables works in the user namespace's own network
// namespaces; load its modules on the host first.
//
// # Pitfalls
//
//   - NAT applies to new connections: connections tracked before a rule
//     was added keep their translation (or none).
//   - Masquerading needs forwarding on the router (see netns.SetSysctl, or
//     lab.Router, which turns it on).
//   - Tables of others in the namespace see the packets too: an accept
//     here does not override a drop there.
package firewall
