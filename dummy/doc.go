// Package dummy creates transient dummy links: interfaces that accept every
// packet and deliver none, useful to carry addresses and routes in a test
// without any peer.
//
// See docs/namespaces-and-links.md in the repository for the guide to
// namespaces and links.
//
//	It("gives a namespace an interface of its own", func() {
//	    link.SkipUnlessSupported("dummy")
//	    ns := netns.NewTransient()
//	    d := dummy.NewTransientUp(dummy.InNamespace(ns))
//	    _ = d.Attrs().Index // its index in ns
//	})
//
// Dummy links need the kernel's dummy driver (CONFIG_DUMMY, module "dummy").
// Minimal kernels often lack it: use link.SkipUnlessSupported("dummy") in
// specs that cannot do without it, and a veth where any link will do.
package dummy
