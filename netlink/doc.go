// Package netlink holds no library code: it is a suite of executable specs
// that pin down behaviours of github.com/vishvananda/netlink (v1.3.1) and of
// the kernel's rtnetlink that the rest of scratchnet works around. Each spec
// is named after one gotcha, asserts what really happens, and when it fails
// says which scratchnet workaround to revisit: a failure here means upstream
// (or the kernel) changed, not that scratchnet is broken.
//
// The gotchas, each with the workaround scratchnet uses:
//
//  1. Package-level functions (netlink.LinkList, netlink.LinkAdd, ...) open
//     a fresh socket per call in the calling OS thread's current network
//     namespace, whereas a Handle from NewHandleAt keeps its socket in the
//     namespace it was opened in. Workaround: scratchnet never relies on
//     thread state; every request goes through a handle bound to a namespace
//     fd (netns.NewNetlinkHandle), so cleanups work from any goroutine.
//  2. LinkAdd with LinkAttrs.Namespace set leaves the passed link's Index 0,
//     or sets it to the index of a same-named link in the socket's namespace,
//     and LinkByName cannot name a namespace. Workaround: link.NewTransient
//     looks the index up through a handle bound to the destination namespace.
//     Older kernels (Debian's 6.1 and 6.12) even refuse the new name with
//     EEXIST when the socket's namespace has a link of that name, whatever
//     the destination; random names keep scratchnet clear of that.
//  3. A veth whose PeerNamespace is nil gets its peer in the socket's (the
//     requesting handle's) namespace, not in LinkAttrs.Namespace.
//     Workaround: veth.NewTransient documents it and offers WithPeerNamespace.
//  4. A macvlan's ParentIndex (IFLA_LINK) is resolved in the socket's
//     namespace, not in LinkAttrs.Namespace. Workaround: link.WithLinkNamespace
//     and macvlan.WithLinkNamespace issue the request from a handle bound to
//     the parent's namespace.
//  5. NewHandleAt without a family list also opens NETLINK_XFRM and
//     NETLINK_NETFILTER sockets, which fails with "protocol not supported"
//     on kernels where those families are missing (and leaks the sockets it
//     already opened). Workaround: every scratchnet handle is opened with
//     NewHandleAt(ns, unix.NETLINK_ROUTE).
//  6. Dump functions (LinkList, AddrList, ...) may return partial results
//     together with netlink.ErrDumpInterrupted when the dumped table changes
//     mid-dump. Workaround: scratchnet's dumps retry on ErrDumpInterrupted.
//
// Every spec works in transient network namespaces only, never in the host
// namespace, and leaves the removal of what it created to the death of those
// namespaces: other packages' test binaries run in parallel and snapshot the
// host namespace, and deleting links one by one is slow (an RCU grace period
// per RTM_DELLINK).
package netlink
