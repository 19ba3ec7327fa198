package vlan_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
	"github.com/scratchnet/scratchnet/vlan"
)

// newParent returns a veth end living entirely in ns.
var newParent = testsupport.VethParent

// readBack reads the link back as the kernel reports it in ns.
var readBack = testsupport.ReadBack[*netlink.Vlan]

var _ = Describe("transient VLAN links", func() {

	BeforeEach(func() {
		guard.SkipUnlessPrivileged()
		link.SkipUnlessSupported("vlan")
	})

	It("creates an 802.1Q link with the VLAN id on the parent", func() {
		ns := netns.NewTransient()
		parent := newParent(ns)

		v := vlan.NewTransient(42, parent, vlan.WithLinkNamespace(ns))

		Expect(v.Attrs().Name).To(MatchRegexp(`^vlan-[0-9a-zA-Z]{10}$`))
		Expect(v.Attrs().Namespace).To(Equal(netlink.NsFd(ns)))
		found := readBack(ns, v)
		Expect(found.VlanId).To(Equal(42))
		Expect(found.VlanProtocol).To(Equal(netlink.VLAN_PROTOCOL_8021Q))
		Expect(found.ParentIndex).To(Equal(parent.Attrs().Index))
	})

	It("creates an 802.1ad link", func() {
		ns := netns.NewTransient()
		v := vlan.NewTransient(4094, newParent(ns), vlan.WithLinkNamespace(ns), vlan.With8021AD())

		found := readBack(ns, v)
		Expect(found.VlanId).To(Equal(4094))
		Expect(found.VlanProtocol).To(Equal(netlink.VLAN_PROTOCOL_8021AD))
	})

	It("puts the link into another namespace than its parent's", func() {
		parentNs, ns := netns.NewTransient(), netns.NewTransient()
		parent := newParent(parentNs)

		v := vlan.NewTransient(7, parent, vlan.WithLinkNamespace(parentNs), vlan.InNamespace(ns))

		Expect(v.Attrs().Namespace).To(Equal(netlink.NsFd(ns)))
		Expect(readBack(ns, v).VlanId).To(Equal(7))
		Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo", v.Attrs().Name))
	})

	It("comes up with its parent", func() {
		ns := netns.NewTransient()
		parent, peer := veth.NewTransient(veth.InNamespace(ns), veth.WithPeerNamespace(ns), veth.WithUp(), veth.WithPeerUp())
		Expect(peer).NotTo(BeNil())

		v := vlan.NewTransient(10, parent, vlan.WithLinkNamespace(ns), vlan.WithAddress("192.0.2.1/24"), vlan.WithUp())

		// 6.1 reports UNKNOWN for a VLAN link whose parent is up, 6.12 UP.
		Expect(readBack(ns, v).OperState).To(BeElementOf(
			netlink.LinkOperState(netlink.OperUp), netlink.LinkOperState(netlink.OperUnknown)))
	})

	It("deletes the link at cleanup and leaves the parent", func() {
		ns := netns.NewTransient()
		parent := newParent(ns)
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			v := vlan.NewTransientT(t, 42, parent, vlan.WithLinkNamespace(ns))
			Expect(testsupport.LinkNames(ns)).To(ContainElement(v.Attrs().Name))
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(testsupport.LinkNames(ns)).To(HaveLen(3), "lo and the parent veth pair")
	})
})

var _ = Describe("refusing VLAN links it cannot create, before anything is created", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	DescribeTable("with a clear message",
		func(makeCall func(parentNs, ns int) func(t testing.TB), reason string) {
			parentNs, ns := netns.NewTransient(), netns.NewTransient()
			testsupport.ExpectRefused(makeCall(parentNs, ns), ns, "cannot create transient ", reason)
		},
		Entry("reserved VLAN id 4095", func(parentNs, ns int) func(t testing.TB) {
			parent := newParent(parentNs)
			return func(t testing.TB) {
				vlan.NewTransientT(t, 4095, parent, vlan.WithLinkNamespace(parentNs), vlan.InNamespace(ns))
			}
		}, "VLAN ids range from 0 to 4094"),
		Entry("nil parent", func(parentNs, ns int) func(t testing.TB) {
			return func(t testing.TB) { vlan.NewTransientT(t, 42, nil, vlan.InNamespace(ns)) }
		}, "parent link is nil"),
		Entry("parent in another namespace without WithLinkNamespace", func(parentNs, ns int) func(t testing.TB) {
			parent := newParent(parentNs)
			return func(t testing.TB) { vlan.NewTransientT(t, 42, parent, vlan.InNamespace(ns)) }
		}, "use WithLinkNamespace"),
		Entry("With8021AD on another kind", func(parentNs, ns int) func(t testing.TB) {
			return func(t testing.TB) {
				link.NewTransientT(t, &netlink.Bridge{}, "br-", link.InNamespace(ns), vlan.With8021AD())
			}
		}, "With8021AD(): applies to *netlink.Vlan links, not to *netlink.Bridge"),
	)
})
