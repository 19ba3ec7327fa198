package macvtap_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/macvtap"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

// A VEPA macvtap of a veth parent in another namespace, as a virtual machine
// monitor would use it. It only compiles here: it needs the privilege to
// create namespaces.
func ExampleNewTransient() {
	It("gives a VM-style tap on a parent in another namespace", func() {
		parentNs, ns := netns.NewTransient(), netns.NewTransient()
		parent, _ := veth.NewTransient(veth.InNamespace(parentNs), veth.WithPeerNamespace(parentNs))
		mtap := macvtap.NewTransient(parent,
			macvtap.WithLinkNamespace(parentNs), // where the parent is found
			macvtap.InNamespace(ns),             // where the macvtap goes
			macvtap.WithMode(netlink.MACVLAN_MODE_VEPA))
		Expect(mtap.Attrs().Index).To(BeNumerically(">", 0)) // its index in ns
	})
}
