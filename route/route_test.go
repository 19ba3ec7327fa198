package route_test

import (
	"fmt"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/route"
	"github.com/scratchnet/scratchnet/veth"
)

// routesOf lists the gateway routes of the main table of the namespace nsfd
// refers to, as "dst via gw".
func routesOf(nsfd int) []string {
	GinkgoHelper()
	routes, err := netns.NewNetlinkHandle(nsfd).RouteList(nil, netlink.FAMILY_ALL)
	Expect(err).NotTo(HaveOccurred())
	var out []string
	for _, r := range routes {
		if r.Gw != nil {
			dst := "default"
			if r.Dst != nil && !r.Dst.IP.IsUnspecified() {
				dst = r.Dst.String()
			}
			out = append(out, dst+" via "+r.Gw.String())
		}
	}
	return out
}

var _ = Describe("transient routes", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	var ns int
	var eth netlink.Link

	BeforeEach(func() {
		ns = netns.NewTransient()
		eth, _ = veth.NewTransient(veth.InNamespace(ns), veth.WithPeerNamespace(ns),
			veth.WithAddress("10.0.0.1/24"), veth.WithAddress("fd00::1/64"), veth.WithUp(), veth.WithPeerUp())
	})

	It("adds routes and default routes for both address families, and removes them at cleanup", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			route.AddT(t, ns, "10.9.0.0/16", route.Via("10.0.0.2"))
			route.AddT(t, ns, "fd00:9::/64", route.Via("fd00::2"), route.Dev(eth))
			route.AddDefaultT(t, ns, "10.0.0.254")
			route.AddDefaultT(t, ns, "fd00::fe")
			Expect(routesOf(ns)).To(ConsistOf(
				"10.9.0.0/16 via 10.0.0.2", "fd00:9::/64 via fd00::2",
				"default via 10.0.0.254", "default via fd00::fe"))
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(routesOf(ns)).To(BeEmpty())
	})

	It("puts a route into another table when asked", func() {
		route.Add(ns, "10.7.0.0/16", route.Via("10.0.0.2"), route.Table(100))
		routes, err := netns.NewNetlinkHandle(ns).RouteListFiltered(netlink.FAMILY_V4,
			&netlink.Route{Table: 100}, netlink.RT_FILTER_TABLE)
		Expect(err).NotTo(HaveOccurred())
		Expect(routes).To(HaveLen(1))
		Expect(routes[0].Dst.String()).To(Equal("10.7.0.0/16"))
	})

	DescribeTable("refuses routes it cannot add, naming why",
		func(call func(t testing.TB), reason string) {
			rec := &testsupport.Recorder{}
			rec.Run(call)
			Expect(rec.Failures()).To(ConsistOf(SatisfyAll(HavePrefix("cannot add route to "), ContainSubstring(reason))))
			Expect(routesOf(ns)).To(BeEmpty())
		},
		Entry("bad destination", func(t testing.TB) { route.AddT(t, ns, "10.9.0.0", route.Via("10.0.0.2")) },
			`"10.9.0.0" is neither "default" nor a prefix`),
		Entry("bad gateway", func(t testing.TB) { route.AddT(t, ns, "10.9.0.0/16", route.Via("10.0.0.x")) },
			`reason: Via("10.0.0.x"): not an IP address`),
		Entry("neither gateway nor link", func(t testing.TB) { route.AddT(t, ns, "10.9.0.0/16") },
			"a route needs a gateway (Via) or a link (Dev)"),
		Entry("unreachable gateway", func(t testing.TB) { route.AddDefaultT(t, ns, "192.0.2.1") },
			"network is unreachable"),
		Entry("not a namespace", func(t testing.TB) { route.AddDefaultT(t, -1, "10.0.0.2") },
			"invalid file descriptor -1"),
		Entry("a link of another namespace", func(t testing.TB) {
			elsewhere, _ := veth.NewTransientT(t, veth.InNamespace(netns.NewTransientT(t)), veth.WithPeerNamespace(ns))
			route.AddT(t, ns, "10.9.0.0/16", route.Dev(elsewhere))
		}, "lives in network namespace net:["),
	)
})

var _ = Describe("a route's link looked up through a bound handle (issue 19)", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	var server, caller int
	var eth netlink.Link
	BeforeEach(func() {
		server, caller = netns.NewTransient(), netns.Current()
		dupond, _ := veth.NewTransient(veth.InNamespace(server), veth.WithPeerNamespace(server), veth.WithUp(), veth.WithPeerUp())
		eth = testsupport.Bound(server, dupond.Attrs().Name)
	})

	// devRoutes lists the routes of the main table of nsfd that go out of a
	// link, as "dst dev index".
	devRoutes := func(nsfd int) []string {
		GinkgoHelper()
		routes, err := netns.NewNetlinkHandle(nsfd).RouteList(nil, netlink.FAMILY_V4)
		Expect(err).NotTo(HaveOccurred())
		var out []string
		for _, r := range routes {
			if r.Dst != nil {
				out = append(out, fmt.Sprintf("%s dev %d", r.Dst, r.LinkIndex))
			}
		}
		return out
	}

	It("goes out of the link in the namespace its wrapper names", func() {
		before := testsupport.NetState(caller)
		route.Add(server, "10.8.0.0/16", route.Dev(link.WrapWithLinkNamespace(eth, server)))
		Expect(devRoutes(server)).To(ContainElement(fmt.Sprintf("10.8.0.0/16 dev %d", eth.Attrs().Index)))
		Expect(testsupport.NetState(caller)).To(Equal(before), "the caller's namespace changed")
	})

	It("refuses a link whose wrapper names another namespace than the route's, naming the wrapper's", func() {
		other := netns.NewTransient()
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			route.AddT(t, other, "10.8.0.0/16", route.Dev(link.WrapWithLinkNamespace(eth, server)))
		})
		Expect(rec.Failures()).To(ConsistOf(fmt.Sprintf(
			`cannot add route to 10.8.0.0/16 dev %q in network namespace net:[%d], reason: Dev: link %q lives in network namespace net:[%d], not in the route's`,
			eth.Attrs().Name, netns.Ino(other), eth.Attrs().Name, netns.Ino(server))))
		Expect(devRoutes(other)).To(BeEmpty())
	})

	It("refuses the link when nothing names its namespace, saying how to name it", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { route.AddT(t, server, "10.8.0.0/16", route.Dev(eth)) })
		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			HavePrefix(fmt.Sprintf(`cannot add route to 10.8.0.0/16 dev %q in network namespace net:[%d], reason: Dev: link %q (index %d): it names no network namespace, so it was looked for in the calling thread's network namespace net:[%d], where `,
				eth.Attrs().Name, netns.Ino(server), eth.Attrs().Name, eth.Attrs().Index, netns.Ino(caller))),
			ContainSubstring("name it with link.WrapWithLinkNamespace(l, nsfd) or l.Attrs().Namespace = netlink.NsFd(nsfd)"))))
		Expect(devRoutes(server)).NotTo(ContainElement(HavePrefix("10.8.0.0/16")))
	})
})
