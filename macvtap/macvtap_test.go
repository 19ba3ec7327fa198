package macvtap_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/macvtap"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

// newParent returns a veth end living entirely in ns.
var newParent = testsupport.VethParent

// readBack reads the link back as the kernel reports it in ns.
var readBack = testsupport.ReadBack[*netlink.Macvtap]

var _ = Describe("transient macvtap links", func() {

	BeforeEach(func() {
		guard.SkipUnlessPrivileged()
		link.SkipUnlessSupported("macvtap")
	})

	It("creates a bridge-mode macvtap on the parent by default", func() {
		ns := netns.NewTransient()
		parent := newParent(ns)

		mtap := macvtap.NewTransient(parent, macvtap.WithLinkNamespace(ns))

		Expect(mtap.Attrs().Name).To(MatchRegexp(`^mcvt-[0-9a-zA-Z]{10}$`))
		found := readBack(ns, mtap)
		Expect(found.Mode).To(Equal(netlink.MACVLAN_MODE_BRIDGE))
		Expect(found.ParentIndex).To(Equal(parent.Attrs().Index))
	})

	DescribeTable("sets the mode, as the kernel reports back",
		func(mode netlink.MacvlanMode) {
			parentNs, ns := netns.NewTransient(), netns.NewTransient()
			mtap := macvtap.NewTransient(newParent(parentNs),
				macvtap.WithLinkNamespace(parentNs), macvtap.InNamespace(ns), macvtap.WithMode(mode))

			Expect(readBack(ns, mtap).Mode).To(Equal(mode))
			Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo", mtap.Attrs().Name))
		},
		Entry("private", netlink.MACVLAN_MODE_PRIVATE),
		Entry("VEPA", netlink.MACVLAN_MODE_VEPA),
		Entry("bridge", netlink.MACVLAN_MODE_BRIDGE),
		Entry("passthru", netlink.MACVLAN_MODE_PASSTHRU),
	)

	It("comes up with its parent", func() {
		ns := netns.NewTransient()
		parent, _ := veth.NewTransient(veth.InNamespace(ns), veth.WithPeerNamespace(ns), veth.WithUp(), veth.WithPeerUp())

		mtap := macvtap.NewTransient(parent, macvtap.WithLinkNamespace(ns), macvtap.WithUp())

		Expect(readBack(ns, mtap).OperState).To(Equal(netlink.LinkOperState(netlink.OperUp)))
	})

	It("deletes the macvtap at cleanup and leaves the parent", func() {
		ns := netns.NewTransient()
		parent := newParent(ns)
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			mtap := macvtap.NewTransientT(t, parent, macvtap.WithLinkNamespace(ns))
			Expect(testsupport.LinkNames(ns)).To(ContainElement(mtap.Attrs().Name))
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(testsupport.LinkNames(ns)).To(HaveLen(3), "lo and the parent veth pair")
	})
})

var _ = Describe("refusing macvtap links it cannot create, before anything is created", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	DescribeTable("with a clear message",
		func(makeCall func(parentNs, ns int) func(t testing.TB), reason string) {
			parentNs, ns := netns.NewTransient(), netns.NewTransient()
			testsupport.ExpectRefused(makeCall(parentNs, ns), ns, `cannot create transient link with prefix "mcvt-", reason: `, reason)
		},
		Entry("an unknown mode", func(parentNs, ns int) func(t testing.TB) {
			parent := newParent(parentNs)
			return func(t testing.TB) {
				macvtap.NewTransientT(t, parent, macvtap.WithLinkNamespace(parentNs), macvtap.InNamespace(ns),
					macvtap.WithMode(netlink.MACVLAN_MODE_SOURCE+1))
			}
		}, "WithMode(6): unknown macvtap mode"),
		Entry("nil parent", func(parentNs, ns int) func(t testing.TB) {
			return func(t testing.TB) { macvtap.NewTransientT(t, nil, macvtap.InNamespace(ns)) }
		}, "parent link is nil"),
		Entry("parent in another namespace without WithLinkNamespace", func(parentNs, ns int) func(t testing.TB) {
			parent := newParent(parentNs)
			return func(t testing.TB) { macvtap.NewTransientT(t, parent, macvtap.InNamespace(ns)) }
		}, "use WithLinkNamespace"),
		Entry("WithMode on a macvlan", func(parentNs, ns int) func(t testing.TB) {
			parent := newParent(parentNs)
			return func(t testing.TB) {
				link.NewStackedT(t, &netlink.Macvlan{}, "mcvt-", parent, link.WithLinkNamespace(parentNs),
					link.InNamespace(ns), macvtap.WithMode(netlink.MACVLAN_MODE_VEPA))
			}
		}, "WithMode(2): applies to *netlink.Macvtap links, not to *netlink.Macvlan"),
	)
})
