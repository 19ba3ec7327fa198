package optname_test

import (
	"regexp"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/bridge"
	"github.com/scratchnet/scratchnet/capture"
	"github.com/scratchnet/scratchnet/impair"
	"github.com/scratchnet/scratchnet/lab"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netdevsim"
	"github.com/scratchnet/scratchnet/netkit"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/reach"
	"github.com/scratchnet/scratchnet/route"
	"github.com/scratchnet/scratchnet/veth"
	"github.com/scratchnet/scratchnet/vxlan"
)

// Each option below is applied on its own, outside any creation, the way
// the library applies it: a refused argument, a kind the option is not for,
// or no creation to configure. The options' own checks fail before they
// touch what they configure, so none needs a real link or namespace.
var _ = DescribeTable("option failures start with the option's call, Name(args): ",
	func(apply func() error, call string) {
		err := apply()
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(MatchRegexp("^" + regexp.QuoteMeta(call+": ")))
	},
	Entry("link, a refused argument", func() error { return link.WithMTU(0)(&link.Link{Link: &netlink.Dummy{}}) }, "WithMTU(0)"),
	Entry("link, outside a creation", func() error {
		return link.WithAddress("10.0.0.1/24")(&link.Link{Link: &netlink.Dummy{}})
	}, `WithAddress("10.0.0.1/24")`),
	Entry("link, without arguments", func() error { return link.WithUp()(&link.Link{Link: &netlink.Dummy{}}) }, "WithUp()"),
	Entry("veth, a peer option on a kind without peer", func() error {
		return veth.WithPeerAddress("10.0.0.2/24")(&link.Link{Link: &netlink.Bridge{}})
	}, `WithPeerAddress("10.0.0.2/24")`),
	Entry("netkit, a refused mode", func() error { return netkit.WithMode(7)(&link.Link{Link: &netlink.Netkit{}}) }, "WithMode(7)"),
	Entry("vxlan, a refused VNI", func() error { return vxlan.WithVNI(1 << 24)(&link.Link{Link: &netlink.Vxlan{}}) }, "WithVNI(16777216)"),
	Entry("bridge, another kind", func() error {
		return bridge.WithHelloTime(2 * time.Second)(&link.Link{Link: &netlink.Veth{}})
	}, "WithHelloTime(2s)"),
	Entry("netdevsim", func() error { return netdevsim.WithRxTxQueueCountEach(0)(&netdevsim.Options{}) }, "WithRxTxQueueCountEach(0)"),
	Entry("netns, a namespace option", func() error { return netns.WithName("")(nil) }, `WithName("")`),
	Entry("netns, a wait option", func() error { return netns.WithTimeout(0)(nil) }, "WithTimeout(0s)"),
	Entry("netns, a process option", func() error { return netns.WithGracePeriod(-time.Second)(nil) }, "WithGracePeriod(-1s)"),
	Entry("capture", func() error { return capture.WithLastPackets(0)(nil) }, "WithLastPackets(0)"),
	Entry("impair", func() error { return impair.Loss(101)(nil) }, "Loss(101)"),
	Entry("reach", func() error { return reach.Within(0)(nil) }, "Within(0s)"),
	Entry("route", func() error { return route.Via("10.0.0.x")(nil) }, `Via("10.0.0.x")`),
	Entry("lab", func() error { return lab.WithMTU(10)(nil) }, "WithMTU(10)"),
)
