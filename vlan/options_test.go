package vlan_test

import (
	"net"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/vlan"
)

var _ = Describe("VLAN flag options", func() {

	BeforeEach(func() {
		guard.SkipUnlessPrivileged()
		link.SkipUnlessSupported("vlan")
	})

	It("reports the kernel's defaults without options: reordering on, GVRP, MVRP and loose binding off", func() {
		ns := netns.NewTransient()
		v := readBack(ns, vlan.NewTransient(10, newParent(ns), vlan.WithLinkNamespace(ns)))
		Expect(v.ReorderHdr).To(HaveValue(BeTrue()))
		Expect(v.Gvrp).To(HaveValue(BeFalse()))
		Expect(v.Mvrp).To(HaveValue(BeFalse()))
		Expect(v.LooseBinding).To(HaveValue(BeFalse()))
	})

	It("turns each default around, as the kernel reports back", func() {
		ns := netns.NewTransient()
		v := readBack(ns, vlan.NewTransient(11, newParent(ns), vlan.WithLinkNamespace(ns),
			vlan.WithReorderHeader(false), vlan.WithGVRP(true), vlan.WithMVRP(true), vlan.WithLooseBinding(true)))
		Expect(v.ReorderHdr).To(HaveValue(BeFalse()))
		Expect(v.Gvrp).To(HaveValue(BeTrue()))
		Expect(v.Mvrp).To(HaveValue(BeTrue()))
		Expect(v.LooseBinding).To(HaveValue(BeTrue()))
	})

	It("lets a loosely bound link go up while its parent is down, and a bound one not", func() {
		ns := netns.NewTransient()
		parent := newParent(ns)
		h := netns.NewNetlinkHandle(ns)
		loose := vlan.NewTransient(12, parent, vlan.WithLinkNamespace(ns), vlan.WithLooseBinding(true))
		bound := vlan.NewTransient(13, parent, vlan.WithLinkNamespace(ns))

		Expect(h.LinkSetUp(loose)).To(Succeed())
		Expect(h.LinkSetUp(bound)).To(MatchError(unix.ENETDOWN))
		Expect(readBack(ns, loose).Flags & net.FlagUp).NotTo(BeZero())
	})
})

var _ = Describe("refusing VLAN flag options for other kinds", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	DescribeTable("with the option's name",
		func(opt vlan.Opt, name string) {
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) { link.NewTransientT(t, &netlink.Bridge{}, "br-", opt) })
			Expect(rec.Failures()).To(ConsistOf(ContainSubstring(name + "(true): applies to *netlink.Vlan links, not to *netlink.Bridge")))
		},
		Entry(nil, vlan.WithReorderHeader(true), "WithReorderHeader"),
		Entry(nil, vlan.WithGVRP(true), "WithGVRP"),
		Entry(nil, vlan.WithMVRP(true), "WithMVRP"),
		Entry(nil, vlan.WithLooseBinding(true), "WithLooseBinding"),
	)
})
