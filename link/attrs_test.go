package link_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
)

var _ = Describe("link attributes at creation", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	const mac = "02:5c:00:00:13:01"

	// Every kind goes through the same options; stacked kinds get a veth
	// parent in the same namespace, whose MTU bounds theirs.
	DescribeTable("gives every kind its MTU, hardware address and txqueuelen",
		func(kind string, tmpl func(parent netlink.Link) netlink.Link, withMAC bool) {
			link.SkipUnlessSupported(kind)
			ns := netns.NewTransient()
			parent := link.NewTransient(&netlink.Veth{PeerNamespace: netlink.NsFd(ns)}, "veth-",
				link.InNamespace(ns), link.WithMTU(9000))
			opts := []link.Opt{link.WithLinkNamespace(ns), link.WithMTU(1280), link.WithTxQLen(77)}
			if withMAC {
				opts = append(opts, link.WithHardwareAddr(mac))
			}
			l := link.NewTransient(tmpl(parent), "attr-", opts...)

			found, err := netns.NewNetlinkHandle(ns).LinkByIndex(l.Attrs().Index)
			Expect(err).NotTo(HaveOccurred())
			Expect(found.Attrs().MTU).To(Equal(1280))
			Expect(found.Attrs().TxQLen).To(Equal(77))
			if withMAC {
				Expect(found.Attrs().HardwareAddr.String()).To(Equal(mac))
			}
		},
		Entry("veth", "veth", func(netlink.Link) netlink.Link { return &netlink.Veth{} }, true),
		Entry("bridge", "bridge", func(netlink.Link) netlink.Link { return &netlink.Bridge{} }, true),
		Entry("vxlan", "vxlan", func(netlink.Link) netlink.Link { return &netlink.Vxlan{VxlanId: 42, Port: 4789} }, true),
		Entry("macvlan", "macvlan", func(p netlink.Link) netlink.Link {
			return &netlink.Macvlan{LinkAttrs: netlink.LinkAttrs{ParentIndex: p.Attrs().Index}, Mode: netlink.MACVLAN_MODE_BRIDGE}
		}, true),
		Entry("macvtap", "macvtap", func(p netlink.Link) netlink.Link {
			return &netlink.Macvtap{Macvlan: netlink.Macvlan{LinkAttrs: netlink.LinkAttrs{ParentIndex: p.Attrs().Index}, Mode: netlink.MACVLAN_MODE_BRIDGE}}
		}, true),
		Entry("tap", "tuntap", func(netlink.Link) netlink.Link { return &netlink.Tuntap{Mode: netlink.TUNTAP_MODE_TAP} }, true),
		Entry("tun, which has no hardware address", "tuntap", func(netlink.Link) netlink.Link { return &netlink.Tuntap{Mode: netlink.TUNTAP_MODE_TUN} }, false),
		Entry("dummy", "dummy", func(netlink.Link) netlink.Link { return &netlink.Dummy{} }, true),
		Entry("vlan", "vlan", func(p netlink.Link) netlink.Link {
			return &netlink.Vlan{LinkAttrs: netlink.LinkAttrs{ParentIndex: p.Attrs().Index}, VlanId: 7}
		}, true),
		Entry("ipvlan, which shares its parent's hardware address", "ipvlan", func(p netlink.Link) netlink.Link {
			return &netlink.IPVlan{LinkAttrs: netlink.LinkAttrs{ParentIndex: p.Attrs().Index}, Mode: netlink.IPVLAN_MODE_L2}
		}, false),
		Entry("bond", "bond", func(netlink.Link) netlink.Link { return netlink.NewLinkBond(netlink.LinkAttrs{}) }, true),
		Entry("vrf", "vrf", func(netlink.Link) netlink.Link { return &netlink.Vrf{Table: 1013} }, true),
	)

	It("gives both ends of a veth pair the MTU, and the peer a hardware address of its own", func() {
		left, right := netns.NewTransient(), netns.NewTransient()
		dupond, dupont := link.NewTransientPair(&netlink.Veth{PeerNamespace: netlink.NsFd(right)}, "veth-",
			link.InNamespace(left), link.WithMTU(1400), link.WithHardwareAddr(mac))
		Expect(testsupport.ReadBack[*netlink.Veth](left, dupond).MTU).To(Equal(1400))
		peer := testsupport.ReadBack[*netlink.Veth](right, dupont)
		Expect(peer.MTU).To(Equal(1400))
		Expect(peer.HardwareAddr.String()).NotTo(Equal(mac))
	})

	It("fails with the option's name for values no link can have", func() {
		ns := netns.NewTransient()
		for _, opt := range []struct {
			opt    link.Opt
			reason string
		}{
			{link.WithMTU(0), "WithMTU(0): an MTU is a positive number of bytes"},
			{link.WithHardwareAddr("02:00"), `WithHardwareAddr("02:00")`},
			{link.WithTxQLen(-1), "WithTxQLen(-1): a queue length cannot be negative"},
		} {
			testsupport.ExpectRefused(func(t testing.TB) {
				link.NewTransientT(t, &netlink.Veth{PeerNamespace: netlink.NsFd(ns)}, "veth-", link.InNamespace(ns), opt.opt)
			}, ns, "cannot create transient link", opt.reason)
		}
	})

	It("passes the kernel's refusal of an MTU on", func() {
		ns := netns.NewTransient()
		testsupport.ExpectRefused(func(t testing.TB) {
			link.NewTransientT(t, &netlink.Veth{PeerNamespace: netlink.NsFd(ns)}, "veth-", link.InNamespace(ns), link.WithMTU(10))
		}, ns, "cannot create transient link", "invalid argument")
	})

})
