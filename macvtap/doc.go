// Package macvtap creates transient macvtap links: macvlans on a parent
// Ethernet link whose traffic is also readable and writable through a
// character device, /dev/tap<index>, as virtual machine monitors use them.
//
// See docs/namespaces-and-links.md in the repository for the guide to
// namespaces and links.
//
//	It("gives a VM-style tap on a parent in another namespace", func() {
//	    parentNs, ns := netns.NewTransient(), netns.NewTransient()
//	    parent, _ := veth.NewTransient(veth.InNamespace(parentNs), veth.WithPeerNamespace(parentNs))
//	    mtap := macvtap.NewTransient(parent,
//	        macvtap.WithLinkNamespace(parentNs), // where the parent is found
//	        macvtap.InNamespace(ns),             // where the macvtap goes
//	        macvtap.WithMode(netlink.MACVLAN_MODE_VEPA))
//	    _ = mtap.Attrs().Index // its index in ns
//	})
//
// The mode is bridge (netlink.MACVLAN_MODE_BRIDGE) unless [WithMode] says
// otherwise, as for the macvlan package; the kernel's own default is VEPA.
//
// macvtap links need CONFIG_MACVTAP (module "macvtap").
//
// # Pitfalls
//
// The kernel resolves the parent index in the namespace of the netlink socket
// that asks; a parent in another namespace than the calling thread's needs
// [WithLinkNamespace], and [NewTransient] refuses a parent whose
// LinkAttrs.Namespace says it lives elsewhere without it.
//
// The character device is named after the link's index, and appears only
// where devtmpfs (or udev) is mounted on /dev; the index is the one in the
// macvtap's own namespace, so two macvtaps in different namespaces may want
// the same device name.
package macvtap
