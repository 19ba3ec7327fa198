package route_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
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
