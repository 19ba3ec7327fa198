package vxlan_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/vxlan"
)

var _ = Describe("VXLAN TTL and source port options", func() {

	BeforeEach(func() {
		guard.SkipUnlessPrivileged()
		link.SkipUnlessSupported("vxlan")
	})

	It("sets the outer TTL and the source port range, as the kernel reports back", func() {
		ns := netns.NewTransient()
		underlay := newUnderlay(ns)
		plain := readBack(ns, vxlan.NewTransient(underlay, vxlan.WithLinkNamespace(ns), vxlan.WithVNI(1)))

		vx := readBack(ns, vxlan.NewTransient(underlay, vxlan.WithLinkNamespace(ns), vxlan.WithVNI(2),
			vxlan.WithTTL(17), vxlan.WithSourcePortRange(40000, 40100)))

		Expect(vx.TTL).To(Equal(17))
		Expect(vx.PortLow).To(Equal(40000))
		Expect(vx.PortHigh).To(Equal(40100))
		Expect(plain.TTL).NotTo(Equal(17), "the kernel's default differs")
		Expect([]int{plain.PortLow, plain.PortHigh}).NotTo(Equal([]int{40000, 40100}), "the kernel's default differs")
	})

	It("takes a range of a single port", func() {
		ns := netns.NewTransient()
		vx := readBack(ns, vxlan.NewTransient(newUnderlay(ns), vxlan.WithLinkNamespace(ns), vxlan.WithSourcePortRange(5000, 5000)))
		Expect([]int{vx.PortLow, vx.PortHigh}).To(Equal([]int{5000, 5000}))
	})
})

var _ = Describe("refusing VXLAN TTLs and port ranges, before anything is created", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	DescribeTable("with a clear message",
		func(opt vxlan.Opt, reason string) {
			underlayNs, ns := netns.NewTransient(), netns.NewTransient()
			testsupport.ExpectRefused(withOpts(underlayNs, ns, opt), ns, `cannot create transient link with prefix "vxlan-", reason: `, reason)
		},
		Entry("TTL 0", vxlan.WithTTL(0), "WithTTL(0): TTL 0 would leave the kernel's default"),
		Entry("a reversed port range", vxlan.WithSourcePortRange(5001, 5000), "WithSourcePortRange(5001, 5000): source ports 5001 to 5000 are no range of ports"),
		Entry("a range from port 0", vxlan.WithSourcePortRange(0, 10), "source ports 0 to 10 are no range of ports"),
	)

	It("refuses its options for other kinds", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { link.NewTransientT(t, &netlink.Bridge{}, "br-", vxlan.WithTTL(3)) })
		Expect(rec.Failures()).To(ConsistOf(ContainSubstring("WithTTL(3): applies to *netlink.Vxlan links, not to *netlink.Bridge")))
	})
})
