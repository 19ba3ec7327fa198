// Package netlink holds no library code: it is a suite of executable specs
// that pin down behaviours of github.com/vishvananda/netlink (v1.3.1) and of
// the kernel's rtnetlink that the rest of scratchnet works around. Each spec
// is named after one gotcha, asserts what really happens, and when it fails
// says which scratchnet workaround to revisit: a failure here means upstream
// (or the kernel) changed, not that scratchnet is broken.
//
// See docs/netlink-gotchas.md in the repository for the gotchas as a table,
// with the spec that pins each.
//
// The gotchas, each with the workaround scratchnet uses:
//
//  1. Package-level functions (netlink.LinkList, netlink.LinkAdd, ...) open
//     a fresh socket per call in the calling OS thread's current network
//     namespace, whereas a Handle keeps its sockets in the namespace they were
//     opened in. Workaround: scratchnet never relies on thread state; every
//     request goes through a handle bound to a namespace fd (opened by
//     internal/nsops, as netns.NewNetlinkHandle hands them out), so cleanups
//     work from any goroutine.
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
//     already opened). Workaround: internal/nsops opens a handle's families
//     one by one, NETLINK_ROUTE required and the others best effort.
//  6. Dump functions (LinkList, AddrList, ...) may return partial results
//     together with netlink.ErrDumpInterrupted when the dumped table changes
//     mid-dump. Workaround: scratchnet's dumps retry on ErrDumpInterrupted.
//  7. A request of a family the handle has no socket for (an XFRM policy, a
//     conntrack entry, a GENERIC request through a NETLINK_ROUTE-only
//     handle) is sent, without a word, through a fresh socket in the calling
//     thread's namespace: it acts on another namespace than the handle's.
//     Workaround: internal/nsops gives every family vishvananda/netlink uses a
//     socket in the handle's namespace, and a family the kernel refuses a
//     stand-in NETLINK_USERSOCK socket there, on which every request fails
//     with ECONNREFUSED.
//  8. A Handle keeps its sockets in an unexported map by family, and no
//     public function adds a socket to it. Workaround: internal/nsops reaches
//     the map by its field name, which a spec here pins.
//
// Every spec works in transient network namespaces only, never in the host
// namespace, and leaves the removal of what it created to the death of those
// namespaces: other packages' test binaries run in parallel and snapshot the
// host namespace, and deleting links one by one is slow (an RCU grace period
// per RTM_DELLINK).
package netlink
