package lab_test

import (
	"net"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/lab"
)

// allReachAll expects every host of the lab, routers included, to reach
// every address of every other host, in IPv4 and in IPv6. Each interface
// is a target of its own: a host is reached when any of its addresses is.
func allReachAll(l *lab.Lab) {
	GinkgoHelper()
	hosts := l.Hosts()
	for _, a := range hosts {
		for _, b := range hosts {
			if a == b {
				continue
			}
			for _, i := range b.Ifaces() {
				Expect(a).To(lab.Reach(i, lab.IPv4()))
				Expect(a).To(lab.Reach(i, lab.IPv6()))
			}
		}
	}
}

// gatewayTo returns the gateway of h's main-table route to dst, exactly
// that prefix, or nil when there is none.
func gatewayTo(h *lab.Host, dst string) net.IP {
	GinkgoHelper()
	_, want, err := net.ParseCIDR(dst)
	Expect(err).NotTo(HaveOccurred())
	family := netlink.FAMILY_V4
	if want.IP.To4() == nil {
		family = netlink.FAMILY_V6
	}
	routes, err := h.Handle().RouteList(nil, family)
	Expect(err).NotTo(HaveOccurred())
	for _, r := range routes {
		if r.Dst != nil && r.Dst.String() == want.String() {
			return r.Gw
		}
	}
	return nil
}

var _ = Describe("generated topologies, routed by AutoRoute", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("star: hosts h1 ... hN on one segment reach each other without routes", func() {
		l := lab.New()
		star := l.Star(4)
		Expect(star.Hosts).To(HaveLen(4))
		Expect(star.Hosts[3].Name).To(Equal("h4"))
		Expect(star.Segments[0].Iface(star.Hosts[3]).IPv4.String()).To(Equal("10.0.1.4/24"))
		l.AutoRoute()
		Expect(gatewayTo(star.Hosts[0], "0.0.0.0/0")).To(BeNil())
		allReachAll(l)
	})

	It("chain: hosts at both ends reach each other across the routers only once routed", func() {
		l := lab.New()
		chain := l.Chain(3)
		Expect(chain.Routers).To(HaveLen(3))
		h1, h2 := chain.Hosts[0], chain.Hosts[1]
		Expect(h1.Ifaces()[0].Name()).To(Equal("r1"))
		Expect(h2.Ifaces()[0].Name()).To(Equal("r3"))
		res, err := lab.Try(h1, h2, lab.IPv4())
		Expect(err).NotTo(HaveOccurred())
		Expect(res[0].Outcome).NotTo(Equal(lab.Reached))
		l.AutoRoute()
		allReachAll(l)
	})

	It("chain with a host per router; AutoRoute again after the lab grew", func() {
		l := lab.New()
		chain := l.Chain(3, lab.HostPerRouter())
		Expect(chain.Hosts).To(HaveLen(3))
		l.AutoRoute()
		extra := l.Host("extra")
		l.Connect(extra, chain.Routers[1])
		l.AutoRoute()
		allReachAll(l)
	})

	It("tree: routers at the inner nodes, fanout^depth hosts at the leaves", func() {
		l := lab.New()
		tree := l.Tree(2, 2)
		Expect(tree.Routers).To(HaveLen(3))
		Expect(tree.Hosts).To(HaveLen(4))
		l.AutoRoute()
		allReachAll(l)
	})

	It("leaf-spine: every leaf wired to every spine, a rack segment per leaf; one spine chosen by name", func() {
		l := lab.New()
		fabric := l.LeafSpine(2, 2, 2)
		Expect(fabric.Routers).To(HaveLen(4))
		Expect(fabric.Segments).To(HaveLen(2))
		l.AutoRoute()
		allReachAll(l)
		// Both spines are one hop from leaf l1 to rack2; s1 sorts first.
		l1, s1 := l.Hosts()["l1"], l.Hosts()["s1"]
		rack2 := fabric.Segments[1].Iface(fabric.Hosts[2])
		Expect(gatewayTo(l1, rack2.IPv4.Masked().String())).To(Equal(net.IP(s1.Iface("l1").IPv4.Addr().AsSlice())))
		Expect(gatewayTo(l1, rack2.IPv6.Masked().String())).To(Equal(net.IP(s1.Iface("l1").IPv6.Addr().AsSlice())))
		// A host that reaches everything through its leaf has one default
		// route per family, not one route per subnet.
		Expect(gatewayTo(fabric.Hosts[0], "0.0.0.0/0")).To(Equal(net.IP(fabric.Segments[0].Iface(l.Hosts()["l1"]).IPv4.Addr().AsSlice())))
		Expect(gatewayTo(fabric.Hosts[0], "::/0")).NotTo(BeNil())
	})

	It("routes a bigger fabric: sampled pairs across racks reach each other", func() {
		l := lab.New()
		fabric := l.LeafSpine(2, 4, 8)
		l.AutoRoute()
		hosts := fabric.Hosts
		for _, pair := range [][2]int{{0, 31}, {31, 0}, {9, 20}, {17, 26}} {
			Expect(hosts[pair[0]]).To(lab.Reach(hosts[pair[1]], lab.IPv4()))
			Expect(hosts[pair[0]]).To(lab.Reach(hosts[pair[1]], lab.IPv6()))
		}
		Expect(hosts[5]).To(lab.Reach(l.Hosts()["s2"], lab.IPv6()))
	})

	It("routes a hand-built lab of routers, wires and a segment", func() {
		l := lab.New()
		alice, r1, r2, bob, carol := l.Host("alice"), l.Router("r1"), l.Router("r2"), l.Host("bob"), l.Host("carol")
		l.Connect(alice, r1)
		l.Connect(r1, r2)
		l.Segment("lan").Attach(r2, bob, carol)
		l.AutoRoute()
		allReachAll(l)
	})
})

var _ = Describe("failure reports of generated labs", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("shows a big lab's report, bounded to the hosts the failure names", Label(deliberateFailure), func() {
		l := lab.New()
		fabric := l.LeafSpine(2, 4, 8)
		l.AutoRoute()
		h1, h30 := fabric.Hosts[0], fabric.Hosts[29]
		Expect(h1.Handle().RouteDel(&netlink.Route{Dst: &net.IPNet{IP: net.IPv4zero.To4(), Mask: net.CIDRMask(0, 32)}})).To(Succeed())
		Expect(h1).To(lab.Reach(h30, lab.IPv4()), "deliberate failure: h1 lost its default route; the report describes h1 and h30 and their racks, and counts the other 36 hosts")
	})
})

var _ = Describe("generators and AutoRoute refuse what they cannot build, naming why", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	failures := func(fn func(l *lab.Lab)) []string {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { fn(lab.NewT(t)) })
		return rec.Failures()
	}

	It("refuses counts and options that make no topology", func() {
		Expect(failures(func(l *lab.Lab) { l.Star(0) })).To(ConsistOf(
			`cannot generate topology Star(0), reason: a star has at least one host`))
		Expect(failures(func(l *lab.Lab) { l.Tree(0, 2) })).To(ConsistOf(
			`cannot generate topology Tree(0, 2), reason: a tree has a depth of at least 1 and a fanout of at least 1`))
		Expect(failures(func(l *lab.Lab) { l.LeafSpine(2, 0, 4) })).To(ConsistOf(
			`cannot generate topology LeafSpine(2, 0, 4), reason: a fabric has at least one spine and one leaf, and no negative number of hosts per leaf`))
		Expect(failures(func(l *lab.Lab) { l.Tree(1, 2, lab.HostPerRouter()) })).To(ConsistOf(
			`cannot generate topology Tree(1, 2), reason: HostPerRouter(): applies to Chain, not to Tree`))
		Expect(failures(func(l *lab.Lab) { l.Chain(2, lab.NamePrefix("a b")) })).To(ConsistOf(
			`cannot generate topology Chain(2), reason: NamePrefix("a b"): a prefix is not empty and holds no '/', ':' or white space, as interfaces are named after hosts`))
		Expect(failures(func(l *lab.Lab) { l.Segment("lan", lab.Members(0)) })).To(ConsistOf(
			`cannot configure addresses of segment "lan", reason: Members(0): a segment's automatic subnet holds 1 to 65534 members`))
		Expect(failures(func(l *lab.Lab) { l.Connect(l.Host("a"), l.Host("b"), lab.Members(2)) })).To(ConsistOf(
			`cannot connect wire a–b, reason: Members applies to segments; a wire has two ends`))
	})

	It("refuses a generated name that is taken, and takes a prefix for a second topology", func() {
		Expect(failures(func(l *lab.Lab) {
			l.Star(1)
			l.Star(1)
		})).To(ConsistOf(`cannot add host "h1" to lab, reason: host names must be unique and not empty`))
		Expect(failures(func(l *lab.Lab) {
			l.Star(1)
			Expect(l.Star(1, lab.NamePrefix("b")).Hosts[0].Name).To(Equal("bh1"))
		})).To(BeEmpty())
	})

	It("names Members when a segment's subnet is full, and never hands out its broadcast address", func() {
		Expect(failures(func(l *lab.Lab) {
			l.Segment("lan", lab.Subnet("10.9.0.0/30")).Attach(l.Host("a"), l.Host("b"), l.Host("c"))
		})).To(ConsistOf(
			`cannot attach host "c" to segment "lan", reason: subnet 10.9.0.0/30 has no address for member 3 (lab.Members sizes a segment's automatic subnet, lab.Subnet chooses one)`))
	})

	It("fails AutoRoute before installing anything when two hosts are joined only through a host that does not forward", func() {
		rec := &testsupport.Recorder{}
		var gateways []net.IP
		rec.Run(func(t testing.TB) {
			l := lab.NewT(t)
			alice, bob, carol, r := l.Host("alice"), l.Host("bob"), l.Host("carol"), l.Router("r")
			l.Connect(alice, bob)
			l.Connect(bob, carol)
			l.Connect(r, alice)
			// Cleanups run in reverse order: this one before the lab's
			// teardown, after AutoRoute failed.
			t.Cleanup(func() {
				for _, h := range l.Hosts() {
					routes, err := h.Handle().RouteList(nil, netlink.FAMILY_ALL)
					Expect(err).NotTo(HaveOccurred())
					for _, route := range routes {
						if route.Gw != nil {
							gateways = append(gateways, route.Gw)
						}
					}
				}
			})
			l.AutoRoute()
		})
		Expect(rec.Failures()).To(ConsistOf(
			`cannot route lab automatically, reason: no IPv4 path from host "carol" to host "alice" on 10.0.1.0/24: wires and segments do not join them, or only through hosts that are not routers (lab.Router forwards)`))
		Expect(gateways).To(BeEmpty())
	})
})
