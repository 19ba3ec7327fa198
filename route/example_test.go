package route_test

import (
	"net"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/route"
	"github.com/scratchnet/scratchnet/veth"
)

// Routes through a neighbour, removed again at the end of the spec. It only
// compiles here: it needs the privilege to create namespaces.
func ExampleAdd() {
	It("routes a prefix through a neighbour", func() {
		ns := netns.NewTransient()
		eth, _ := veth.NewTransient(veth.InNamespace(ns), veth.WithPeerNamespace(ns),
			veth.WithAddress("10.0.0.1/24"), veth.WithUp(), veth.WithPeerUp())
		route.Add(ns, "10.9.0.0/16", route.Via("10.0.0.2"), route.Dev(eth))
		route.AddDefault(ns, "10.0.0.2")
		routes, err := netns.NewNetlinkHandle(ns).RouteGet(net.ParseIP("10.9.1.1"))
		Expect(err).NotTo(HaveOccurred())
		Expect(routes[0].Gw.String()).To(Equal("10.0.0.2"))
	})
}
