package ipvlan_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/ipvlan"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

// An L3 ipvlan of a veth parent in another namespace. It only compiles here:
// it needs namespaces and the kernel's ipvlan driver, which many minimal
// kernels lack (the spec skips on those).
func ExampleNewTransient() {
	It("gives a namespace an L3 ipvlan of a parent", func() {
		link.SkipUnlessSupported("ipvlan")
		parentNs, ns := netns.NewTransient(), netns.NewTransient()
		parent, _ := veth.NewTransient(veth.InNamespace(parentNs), veth.WithPeerNamespace(parentNs))
		ipvl := ipvlan.NewTransient(parent,
			ipvlan.WithLinkNamespace(parentNs), // where the parent is found
			ipvlan.InNamespace(ns),             // where the ipvlan goes
			ipvlan.WithMode(netlink.IPVLAN_MODE_L3))
		Expect(ipvl.Attrs().Index).To(BeNumerically(">", 0)) // its index in ns
	})
}
