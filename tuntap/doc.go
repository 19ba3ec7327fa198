// Package tuntap creates transient tun (layer 3) and tap (layer 2) devices:
// interfaces whose other side is a file descriptor of a user-space program
// instead of a wire, as VPNs and virtual machine monitors use them.
//
// See docs/namespaces-and-links.md in the repository for the guide to
// namespaces and links.
//
//	It("gives a namespace a tap device owned by an unprivileged user", func() {
//	    ns := netns.NewTransient()
//	    tap := tuntap.NewTransientTap(tuntap.InNamespace(ns), tuntap.WithOwner(1000))
//	    _ = tap.Attrs().Index // its index in ns
//	    // a program running as uid 1000 may now attach to it by name
//	})
//
// The devices are persistent and fd-less: no file descriptor is kept open,
// the device stays until it is deleted at the end of the node that created
// it, and a program under test attaches to it by name (TUNSETIFF on
// /dev/net/tun), as it would to a device an administrator set up.
//
// tun and tap devices need CONFIG_TUN (module "tun") and the device node
// /dev/net/tun, which devtmpfs provides; link.SkipUnlessSupported("tuntap")
// checks for both. In a rootless sandbox (a user namespace) they are out of
// reach too: /dev/net/tun belongs to the host's root with mode 0600, and a
// user namespace does not map the host's root, so the probe reports tuntap
// as unsupported there.
//
// # Pitfalls
//
// The kernel does not create tun devices through rtnetlink: vishvananda/netlink
// opens /dev/net/tun instead, and the device appears in the network namespace
// of the thread that opened it — not in the namespace of the netlink handle
// used, and not in LinkAttrs.Namespace, both of which it ignores. The link
// package switches a locked thread into the destination namespace for that
// open, so [InNamespace] works as for every other kind.
//
// vishvananda/netlink always sets an owner and a group: without [WithOwner]
// and [WithGroup] both are root (0), so only root (or CAP_NET_ADMIN) may
// attach; there is no way back to "no owner" (the kernel rejects uid -1).
// It also applies none of the other LinkAttrs (MTU, address, ...) at creation.
//
// Without a program attached, newer kernels (seen with 6.12 and 6.18) report
// no carrier, so the device's operational state stays DOWN even when set up
// and [link.EnsureUp] times out; they report UP only while a program is
// attached. 6.1 reports UNKNOWN either way. This package therefore offers no
// WithUp: wait for a device to come up once the program under test has
// attached to it.
package tuntap
