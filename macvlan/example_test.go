package macvlan_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/macvlan"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

// A macvlan is stacked on a parent that lives in the namespace named by
// WithLinkNamespace, and may go to another one with InNamespace.
func ExampleNewTransient() {
	It("stacks a macvlan on a parent in another namespace", func() {
		parentNs, ns := netns.NewTransient(), netns.NewTransient()
		parent, _ := veth.NewTransient(veth.InNamespace(parentNs), veth.WithPeerNamespace(parentNs))
		mcvl := macvlan.NewTransient(parent,
			macvlan.WithLinkNamespace(parentNs), // where the parent is looked up
			macvlan.InNamespace(ns),             // where the macvlan goes
			macvlan.WithMode(netlink.MACVLAN_MODE_PRIVATE))
		Expect(mcvl.Attrs().Index).To(BeNumerically(">", 0))
	})
}
