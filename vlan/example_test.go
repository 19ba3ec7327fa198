package vlan_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
	"github.com/scratchnet/scratchnet/vlan"
)

// VLAN 42 of a veth parent, put into a namespace of its own. It only
// compiles here: it needs namespaces and the kernel's 8021q driver, which
// many minimal kernels lack (the spec skips on those).
func ExampleNewTransient() {
	It("puts a VLAN of a parent into a namespace of its own", func() {
		link.SkipUnlessSupported("vlan")
		parentNs, ns := netns.NewTransient(), netns.NewTransient()
		parent, _ := veth.NewTransient(veth.InNamespace(parentNs), veth.WithPeerNamespace(parentNs))
		v := vlan.NewTransient(42, parent,
			vlan.WithLinkNamespace(parentNs), // where the parent is found
			vlan.InNamespace(ns))             // where the VLAN link goes
		Expect(v.Attrs().Index).To(BeNumerically(">", 0)) // its index in ns
	})
}
