package vxlan_test

import (
	"fmt"
	"net"
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

// newUnderlay returns a veth end living entirely in ns.
var newUnderlay = testsupport.VethParent

// readBack reads the link back as the kernel reports it in ns.
var readBack = testsupport.ReadBack[*netlink.Vxlan]

var _ = Describe("transient VXLAN links", func() {

	BeforeEach(func() {
		guard.SkipUnlessPrivileged()
		link.SkipUnlessSupported("vxlan")
	})

	It("uses the default VNI and the IANA port, learns, and sends through the underlay", func() {
		ns := netns.NewTransient()
		underlay := newUnderlay(ns)

		vx := vxlan.NewTransient(underlay, vxlan.WithLinkNamespace(ns))

		Expect(vx.Attrs().Name).To(MatchRegexp(`^vxlan-[0-9a-zA-Z]{9}$`))
		found := readBack(ns, vx)
		Expect(found.VxlanId).To(Equal(vxlan.DefaultVNI))
		Expect(found.Port).To(Equal(vxlan.DefaultDestinationPort))
		Expect(found.Learning).To(BeTrue())
		Expect(found.VtepDevIndex).To(Equal(underlay.Attrs().Index))
	})

	It("sets VNI, port, local and remote address, and learning, as the kernel reports back", func() {
		ns := netns.NewTransient()
		vx := vxlan.NewTransient(newUnderlay(ns), vxlan.WithLinkNamespace(ns),
			vxlan.WithVNI(1<<24-1), vxlan.WithDestinationPort(8472),
			vxlan.WithLocal("192.0.2.1"), vxlan.WithRemote("192.0.2.2"), vxlan.WithLearning(false))

		found := readBack(ns, vx)
		Expect(found.VxlanId).To(Equal(1<<24 - 1))
		Expect(found.Port).To(Equal(8472))
		Expect(found.SrcAddr.Equal(net.ParseIP("192.0.2.1"))).To(BeTrue(), "local %s", found.SrcAddr)
		Expect(found.Group.Equal(net.ParseIP("192.0.2.2"))).To(BeTrue(), "remote %s", found.Group)
		Expect(found.Learning).To(BeFalse())
	})

	It("joins an IPv6 multicast group", func() {
		ns := netns.NewTransient()
		vx := vxlan.NewTransient(newUnderlay(ns), vxlan.WithLinkNamespace(ns),
			vxlan.WithLocal("fd00::1"), vxlan.WithGroup("ff05::42"))

		found := readBack(ns, vx)
		Expect(found.SrcAddr.Equal(net.ParseIP("fd00::1"))).To(BeTrue(), "local %s", found.SrcAddr)
		Expect(found.Group.Equal(net.ParseIP("ff05::42"))).To(BeTrue(), "group %s", found.Group)
	})

	It("lives in one namespace while its underlay is in another", func() {
		underlayNs, ns := netns.NewTransient(), netns.NewTransient()
		underlay := newUnderlay(underlayNs)

		vx := vxlan.NewTransient(underlay, vxlan.WithLinkNamespace(underlayNs), vxlan.InNamespace(ns), vxlan.WithVNI(7))

		Expect(vx.Attrs().Namespace).To(Equal(netlink.NsFd(ns)))
		Expect(readBack(ns, vx).VxlanId).To(Equal(7))
		Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo", vx.Attrs().Name))
	})

	It("comes up", func() {
		ns := netns.NewTransient()
		vx := vxlan.NewTransient(newUnderlay(ns), vxlan.WithLinkNamespace(ns), vxlan.WithUp())
		Expect(readBack(ns, vx).OperState).To(BeElementOf(
			netlink.LinkOperState(netlink.OperUp), netlink.LinkOperState(netlink.OperUnknown)))
	})

	It("deletes the link at cleanup and leaves the underlay", func() {
		ns := netns.NewTransient()
		underlay := newUnderlay(ns)
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			vx := vxlan.NewTransientT(t, underlay, vxlan.WithLinkNamespace(ns))
			Expect(testsupport.LinkNames(ns)).To(ContainElement(vx.Attrs().Name))
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(testsupport.LinkNames(ns)).To(HaveLen(3), "lo and the underlay veth pair")
	})

	It("reports a second link with the same VNI and port in the sending namespace as a collision", func() {
		ns := netns.NewTransient()
		underlay := newUnderlay(ns)
		vxlan.NewTransient(underlay, vxlan.WithLinkNamespace(ns))
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { vxlan.NewTransientT(t, underlay, vxlan.WithLinkNamespace(ns)) })
		Expect(rec.Failures()).To(ConsistOf(ContainSubstring("file exists (not a name collision")))
	})
})

var _ = Describe("refusing VXLAN links it cannot create, before anything is created", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	DescribeTable("with a clear message",
		func(makeCall func(underlayNs, ns int) func(t testing.TB), reason string) {
			underlayNs, ns := netns.NewTransient(), netns.NewTransient()
			testsupport.ExpectRefused(makeCall(underlayNs, ns), ns, `cannot create transient link with prefix "vxlan-", reason: `, reason)
		},
		Entry("a VNI wider than 24 bits", func(underlayNs, ns int) func(t testing.TB) {
			return withOpts(underlayNs, ns, vxlan.WithVNI(1<<24))
		}, "WithVNI(16777216): VNI 16777216 is not a 24-bit number"),
		Entry("destination port 0", func(underlayNs, ns int) func(t testing.TB) {
			return withOpts(underlayNs, ns, vxlan.WithDestinationPort(0))
		}, "WithDestinationPort(0): destination port 0 is not a port"),
		Entry("a local address that is no address", func(underlayNs, ns int) func(t testing.TB) {
			return withOpts(underlayNs, ns, vxlan.WithLocal("192.0.2.300"))
		}, `WithLocal("192.0.2.300"): "192.0.2.300" is not an IPv4 or IPv6 address`),
		Entry("a multicast local address", func(underlayNs, ns int) func(t testing.TB) {
			return withOpts(underlayNs, ns, vxlan.WithLocal("239.1.1.1"))
		}, `WithLocal("239.1.1.1"): "239.1.1.1" is not a unicast address`),
		Entry("a multicast remote", func(underlayNs, ns int) func(t testing.TB) {
			return withOpts(underlayNs, ns, vxlan.WithRemote("239.1.1.1"))
		}, "use WithGroup for a multicast group"),
		Entry("a unicast group", func(underlayNs, ns int) func(t testing.TB) {
			return withOpts(underlayNs, ns, vxlan.WithGroup("192.0.2.2"))
		}, "use WithRemote for a unicast peer"),
		Entry("both remote and group", func(underlayNs, ns int) func(t testing.TB) {
			return withOpts(underlayNs, ns, vxlan.WithRemote("192.0.2.2"), vxlan.WithGroup("239.1.1.1"))
		}, "WithRemote and WithGroup exclude each other"),
		Entry("nil underlay", func(underlayNs, ns int) func(t testing.TB) {
			return func(t testing.TB) { vxlan.NewTransientT(t, nil, vxlan.InNamespace(ns)) }
		}, "parent link is nil"),
		Entry("an underlay in another namespace without WithLinkNamespace", func(underlayNs, ns int) func(t testing.TB) {
			underlay := newUnderlay(underlayNs)
			return func(t testing.TB) { vxlan.NewTransientT(t, underlay, vxlan.InNamespace(ns)) }
		}, "use WithLinkNamespace"),
	)

	It("refuses its options for other kinds", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { link.NewTransientT(t, &netlink.Bridge{}, "br-", vxlan.WithVNI(1)) })
		Expect(rec.Failures()).To(ConsistOf(ContainSubstring("WithVNI(1): applies to *netlink.Vxlan links, not to *netlink.Bridge")))
	})
})

// withOpts returns a call creating a VXLAN link in ns on an underlay in
// underlayNs with the given extra options.
func withOpts(underlayNs, ns int, opts ...vxlan.Opt) func(t testing.TB) {
	GinkgoHelper()
	underlay := newUnderlay(underlayNs)
	opts = append([]vxlan.Opt{vxlan.WithLinkNamespace(underlayNs), vxlan.InNamespace(ns)}, opts...)
	return func(t testing.TB) { vxlan.NewTransientT(t, underlay, opts...) }
}

var _ = Describe("a VXLAN underlay looked up through a bound handle (issue 19)", func() {

	BeforeEach(func() {
		guard.SkipUnlessPrivileged()
		link.SkipUnlessSupported("vxlan")
	})

	It("sends through the underlay its wrapper names, when the request is sent from there", func() {
		ns, caller := netns.NewTransient(), netns.Current()
		before := testsupport.NetState(caller)
		underlay := testsupport.Bound(ns, newUnderlay(ns).Attrs().Name)
		vx := vxlan.NewTransient(link.WrapWithLinkNamespace(underlay, ns), vxlan.WithLinkNamespace(ns))
		Expect(readBack(ns, vx).VtepDevIndex).To(Equal(underlay.Attrs().Index))
		Expect(testsupport.NetState(caller)).To(Equal(before), "the caller's namespace changed")
	})

	It("refuses an underlay its wrapper places elsewhere than where the request looks it up", func() {
		ns, dest, caller := netns.NewTransient(), netns.NewTransient(), netns.Current()
		underlay := testsupport.Bound(ns, newUnderlay(ns).Attrs().Name)
		testsupport.ExpectRefused(func(t testing.TB) {
			vxlan.NewTransientT(t, link.WrapWithLinkNamespace(underlay, ns), vxlan.InNamespace(dest))
		}, dest, `cannot create transient link with prefix "vxlan-", reason: `,
			fmt.Sprintf(`parent %q lives in network namespace net:[%d], but would be looked up in network namespace net:[%d]; use WithLinkNamespace`,
				underlay.Attrs().Name, netns.Ino(ns), netns.Ino(caller)))
	})

	It("refuses an underlay that names no namespace and is not where the request looks it up, saying how to name it", func() {
		ns, dest, caller := netns.NewTransient(), netns.NewTransient(), netns.Current()
		underlay := testsupport.Bound(ns, newUnderlay(ns).Attrs().Name)
		testsupport.ExpectRefused(func(t testing.TB) { vxlan.NewTransientT(t, underlay, vxlan.InNamespace(dest)) }, dest,
			fmt.Sprintf(`cannot create transient link with prefix "vxlan-", reason: parent %q (index %d): it names no network namespace, so it was looked for in the calling thread's network namespace net:[%d], where `,
				underlay.Attrs().Name, underlay.Attrs().Index, netns.Ino(caller)),
			"name it with link.WrapWithLinkNamespace(l, nsfd) or l.Attrs().Namespace = netlink.NsFd(nsfd)")
	})
})
