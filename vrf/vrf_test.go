package vrf_test

import (
	"net"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
	"github.com/scratchnet/scratchnet/vrf"
)

// readBack reads the link back as the kernel reports it in ns.
var readBack = testsupport.ReadBack[netlink.Link]

// routeDsts lists the destinations of the routes in table of ns.
func routeDsts(ns int, table int) []string {
	GinkgoHelper()
	routes, err := netns.NewNetlinkHandle(ns).RouteListFiltered(netlink.FAMILY_V4,
		&netlink.Route{Table: table}, netlink.RT_FILTER_TABLE)
	Expect(err).NotTo(HaveOccurred())
	var dsts []string
	for _, r := range routes {
		if r.Dst != nil {
			dsts = append(dsts, r.Dst.String())
		}
	}
	return dsts
}

var _ = Describe("transient VRF devices", func() {

	BeforeEach(func() {
		guard.SkipUnlessPrivileged()
		link.SkipUnlessSupported("vrf")
	})

	It("creates a VRF with its table id, as the kernel reports back", func() {
		ns := netns.NewTransient()
		v := vrf.NewTransient(100, vrf.InNamespace(ns), vrf.WithUp())

		Expect(v.Attrs().Name).To(MatchRegexp(`^vrf-[0-9a-zA-Z]{11}$`))
		found := readBack(ns, v)
		Expect(found).To(BeAssignableToTypeOf(&netlink.Vrf{}))
		Expect(found.(*netlink.Vrf).Table).To(Equal(uint32(100)))
		Expect(found.Attrs().OperState).To(BeElementOf(
			netlink.LinkOperState(netlink.OperUp), netlink.LinkOperState(netlink.OperUnknown)))
	})

	It("enslaves a link, whose routes then go to the VRF's table", func() {
		ns := netns.NewTransient()
		v := vrf.NewTransient(100, vrf.InNamespace(ns), vrf.WithUp())
		member, _ := veth.NewTransient(veth.InNamespace(ns), veth.WithPeerNamespace(ns),
			veth.WithAddress("192.0.2.1/24"), veth.WithUp(), veth.WithPeerUp())
		Expect(routeDsts(ns, 100)).To(BeEmpty())

		vrf.AddMember(v, member)

		Expect(readBack(ns, member).Attrs().MasterIndex).To(Equal(v.Attrs().Index))
		Eventually(routeDsts).WithArguments(ns, 100).WithTimeout(2 * time.Second).
			Should(ContainElement((&net.IPNet{IP: net.IPv4(192, 0, 2, 0).To4(), Mask: net.CIDRMask(24, 32)}).String()))
	})

	It("releases a member at cleanup when both outlive the spec", func() {
		ns := netns.NewTransient()
		h := netns.NewNetlinkHandle(ns)
		// Neither is transient: both outlive the recorded spec, and go with ns.
		Expect(h.LinkAdd(&netlink.Vrf{LinkAttrs: netlink.LinkAttrs{Name: "lasting-vrf"}, Table: 101})).To(Succeed())
		Expect(h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "lasting-member"}, PeerName: "lasting-peer"})).To(Succeed())
		v, err := h.LinkByName("lasting-vrf")
		Expect(err).NotTo(HaveOccurred())
		member, err := h.LinkByName("lasting-member")
		Expect(err).NotTo(HaveOccurred())

		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			vrf.AddMemberT(t, testsupport.InNamespace(v, ns), testsupport.InNamespace(member, ns))
			Expect(readBack(ns, member).Attrs().MasterIndex).To(Equal(v.Attrs().Index))
		})

		Expect(rec.Failures()).To(BeEmpty())
		Expect(rec.Logs()).To(BeEmpty())
		Expect(readBack(ns, member).Attrs().MasterIndex).To(BeZero())
		Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo", "lasting-vrf", "lasting-member", "lasting-peer"))
	})

	It("deletes the VRF at cleanup", func() {
		ns := netns.NewTransient()
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			v := vrf.NewTransientT(t, 100, vrf.InNamespace(ns))
			Expect(testsupport.LinkNames(ns)).To(ContainElement(v.Attrs().Name))
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo"))
	})
})

var _ = Describe("refusing VRF devices it cannot create, before anything is created", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("refuses table id 0", func() {
		ns := netns.NewTransient()
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { vrf.NewTransientT(t, 0, vrf.InNamespace(ns)) })
		Expect(rec.Failures()).To(ConsistOf(
			"cannot create transient VRF with table id 0, reason: table id 0 means no table"))
		Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo"))
	})

	It("refuses a nil member", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { vrf.AddMemberT(t, &netlink.Vrf{}, nil) })
		Expect(rec.Failures()).To(ConsistOf("cannot enslave link to master, reason: master or port is nil"))
	})
})
