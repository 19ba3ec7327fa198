package ipvlan_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/ipvlan"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
)

// newParent returns a veth end living entirely in ns.
var newParent = testsupport.VethParent

// readBack reads the link back as the kernel reports it in ns.
var readBack = testsupport.ReadBack[*netlink.IPVlan]

var _ = Describe("transient ipvlan links", func() {

	BeforeEach(func() {
		guard.SkipUnlessPrivileged()
		link.SkipUnlessSupported("ipvlan")
	})

	It("creates an L2 bridge-flagged ipvlan on the parent by default", func() {
		ns := netns.NewTransient()
		parent := newParent(ns)

		ipvl := ipvlan.NewTransient(parent, ipvlan.WithLinkNamespace(ns))

		Expect(ipvl.Attrs().Name).To(MatchRegexp(`^ipvl-[0-9a-zA-Z]{10}$`))
		found := readBack(ns, ipvl)
		Expect(found.Mode).To(Equal(netlink.IPVLAN_MODE_L2))
		Expect(found.Flag).To(Equal(netlink.IPVLAN_FLAG_BRIDGE))
		Expect(found.ParentIndex).To(Equal(parent.Attrs().Index))
		Expect(found.HardwareAddr).To(Equal(parent.Attrs().HardwareAddr), "an ipvlan shares its parent's MAC")
	})

	DescribeTable("sets mode and flag, as the kernel reports back",
		func(mode netlink.IPVlanMode, flag netlink.IPVlanFlag) {
			parentNs, ns := netns.NewTransient(), netns.NewTransient()
			ipvl := ipvlan.NewTransient(newParent(parentNs), ipvlan.WithLinkNamespace(parentNs), ipvlan.InNamespace(ns),
				ipvlan.WithMode(mode), ipvlan.WithFlag(flag))

			found := readBack(ns, ipvl)
			Expect(found.Mode).To(Equal(mode))
			Expect(found.Flag).To(Equal(flag))
		},
		Entry("L2, private", netlink.IPVLAN_MODE_L2, netlink.IPVLAN_FLAG_PRIVATE),
		Entry("L3, bridge", netlink.IPVLAN_MODE_L3, netlink.IPVLAN_FLAG_BRIDGE),
		Entry("L3S, VEPA", netlink.IPVLAN_MODE_L3S, netlink.IPVLAN_FLAG_VEPA),
	)

	It("deletes the ipvlan at cleanup and leaves the parent", func() {
		ns := netns.NewTransient()
		parent := newParent(ns)
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			ipvl := ipvlan.NewTransientT(t, parent, ipvlan.WithLinkNamespace(ns))
			Expect(testsupport.LinkNames(ns)).To(ContainElement(ipvl.Attrs().Name))
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(testsupport.LinkNames(ns)).To(HaveLen(3), "lo and the parent veth pair")
	})
})

var _ = Describe("refusing ipvlan links it cannot create, before anything is created", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	DescribeTable("with a clear message",
		func(makeCall func(parentNs, ns int) func(t testing.TB), reason string) {
			parentNs, ns := netns.NewTransient(), netns.NewTransient()
			testsupport.ExpectRefused(makeCall(parentNs, ns), ns, `cannot create transient link with prefix "ipvl-", reason: `, reason)
		},
		Entry("an unknown mode", func(parentNs, ns int) func(t testing.TB) {
			parent := newParent(parentNs)
			return func(t testing.TB) {
				ipvlan.NewTransientT(t, parent, ipvlan.WithLinkNamespace(parentNs), ipvlan.InNamespace(ns),
					ipvlan.WithMode(netlink.IPVLAN_MODE_MAX))
			}
		}, "WithMode(3): unknown ipvlan mode 3"),
		Entry("an unknown flag", func(parentNs, ns int) func(t testing.TB) {
			parent := newParent(parentNs)
			return func(t testing.TB) {
				ipvlan.NewTransientT(t, parent, ipvlan.WithLinkNamespace(parentNs), ipvlan.InNamespace(ns),
					ipvlan.WithFlag(netlink.IPVLAN_FLAG_VEPA+1))
			}
		}, "WithFlag(3): unknown ipvlan flag 3"),
		Entry("nil parent", func(parentNs, ns int) func(t testing.TB) {
			return func(t testing.TB) { ipvlan.NewTransientT(t, nil, ipvlan.InNamespace(ns)) }
		}, "parent link is nil"),
		Entry("parent in another namespace without WithLinkNamespace", func(parentNs, ns int) func(t testing.TB) {
			parent := newParent(parentNs)
			return func(t testing.TB) { ipvlan.NewTransientT(t, parent, ipvlan.InNamespace(ns)) }
		}, "use WithLinkNamespace"),
		Entry("WithMode on another kind", func(parentNs, ns int) func(t testing.TB) {
			parent := newParent(parentNs)
			return func(t testing.TB) {
				link.NewStackedT(t, &netlink.Macvlan{}, "ipvl-", parent, link.WithLinkNamespace(parentNs),
					link.InNamespace(ns), ipvlan.WithMode(netlink.IPVLAN_MODE_L3))
			}
		}, "WithMode(1): applies to *netlink.IPVlan links, not to *netlink.Macvlan"),
	)
})
