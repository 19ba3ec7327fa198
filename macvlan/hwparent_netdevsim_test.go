package macvlan_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/macvlan"
	"github.com/scratchnet/scratchnet/netdevsim"
	"github.com/scratchnet/scratchnet/netdevsim/ensure"
	"github.com/scratchnet/scratchnet/netns"
)

var _ = Describe("a simulated hardware parent", func() {

	BeforeEach(ensure.SkipUnlessNetdevsim)

	It("locates a netdevsim port as the hardware parent and stacks a macvlan on it", func() {
		ns := netns.NewTransient()
		_, ports := netdevsim.NewTransient(netdevsim.InNamespace(ns))
		link.EnsureUp(ports[0])

		var parent netlink.Link
		netns.Execute(ns, func() { parent = macvlan.LocateHWParent() })
		Expect(parent.Attrs().Name).To(Equal(ports[0].Attrs().Name))
		Expect(parent.Type()).To(Equal("device"))

		m := macvlan.NewTransient(parent, macvlan.InNamespace(ns), macvlan.WithLinkNamespace(ns))
		got := readBack(ns, m)
		Expect(got.Attrs().ParentIndex).To(Equal(ports[0].Attrs().Index))
	})
})
