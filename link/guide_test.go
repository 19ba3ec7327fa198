package link_test

import (
	"net"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/route"
	"github.com/scratchnet/scratchnet/veth"
)

// The snippets of docs/namespaces-and-links.md, embedded there from here.
var _ = Describe("docs/namespaces-and-links.md", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("gives links addresses, up state and routes", func() {
		left, right := netns.NewTransient(), netns.NewTransient()
		dupond, _ := veth.NewTransient(veth.InNamespace(left), veth.WithPeerNamespace(right),
			veth.WithAddress("10.0.0.1/24"), veth.WithAddress("fd00::1/64"), veth.WithUp(),
			veth.WithPeerAddress("10.0.0.2/24"), veth.WithPeerAddress("fd00::2/64"), veth.WithPeerUp())
		route.AddDefault(left, "10.0.0.2")      // removed at cleanup
		link.AddAddress(dupond, "192.0.2.1/24") // on any link; removed at cleanup

		routes, err := netns.NewNetlinkHandle(left).RouteList(nil, netlink.FAMILY_V4)
		Expect(err).NotTo(HaveOccurred())
		Expect(routes).To(ContainElement(Satisfy(func(r netlink.Route) bool {
			return r.Gw.Equal(net.ParseIP("10.0.0.2"))
		})))
	})

	It("acts on a link looked up through a bound handle, in the namespace it names", func() {
		server := netns.NewTransient()
		lo, err := netns.NewNetlinkHandle(server).LinkByName("lo")
		Expect(err).NotTo(HaveOccurred())
		link.AddAddress(link.WrapWithLinkNamespace(lo, server), "192.0.2.10/32")

		addrs, err := netns.NewNetlinkHandle(server).AddrList(lo, netlink.FAMILY_V4)
		Expect(err).NotTo(HaveOccurred())
		Expect(addrs).To(ContainElement(HaveField("IPNet.String()", "192.0.2.10/32")))
	})
})
