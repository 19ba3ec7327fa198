package snapshot_test

import (
	"net"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/snapshot"
)

// cniAdd plays a CNI plugin's ADD: it makes the node's bridge cni0 and
// attaches the container's namespace to it through a veth pair,
// with eth0 in the container, an address on each side and the container's
// default route through the bridge.
func cniAdd(node, container *netlink.Handle, containerNs int) error {
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "cni0"}}
	if err := node.LinkAdd(br); err != nil {
		return err
	}
	if err := node.AddrAdd(br, &netlink.Addr{IPNet: &net.IPNet{IP: net.IPv4(10, 22, 0, 1), Mask: net.CIDRMask(24, 32)}}); err != nil {
		return err
	}
	if err := node.LinkSetUp(br); err != nil {
		return err
	}
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "veth-c1", MasterIndex: br.Index},
		PeerName: "eth0", PeerNamespace: netlink.NsFd(containerNs)}
	if err := node.LinkAdd(veth); err != nil {
		return err
	}
	if err := node.LinkSetUp(veth); err != nil {
		return err
	}
	eth0, err := container.LinkByName("eth0")
	if err != nil {
		return err
	}
	if err := container.AddrAdd(eth0, &netlink.Addr{IPNet: &net.IPNet{IP: net.IPv4(10, 22, 0, 2), Mask: net.CIDRMask(24, 32)}}); err != nil {
		return err
	}
	if err := container.LinkSetUp(eth0); err != nil {
		return err
	}
	return container.RouteAdd(&netlink.Route{LinkIndex: eth0.Attrs().Index, Gw: net.IPv4(10, 22, 0, 1)})
}

// cniDel plays the plugin's DEL: removing the veth pair takes eth0, its
// address and its route with it; the bridge goes once it has no port.
func cniDel(node *netlink.Handle) error {
	veth, err := node.LinkByName("veth-c1")
	if err != nil {
		return err
	}
	if err := node.LinkDel(veth); err != nil {
		return err
	}
	br, err := node.LinkByName("cni0")
	if err != nil {
		return err
	}
	return node.LinkDel(br)
}

var _ = Describe("a CNI plugin's ADD, then DEL", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("leaves no trace in the node's namespace nor in the container's", func() {
		nodeNs, containerNs := netns.NewTransient(), netns.NewTransient()
		node, container := handleAt(nodeNs), handleAt(containerNs)
		nodeBefore, containerBefore := snapshot.Take(nodeNs), snapshot.Take(containerNs)

		Expect(cniAdd(node, container, containerNs)).To(Succeed())
		Expect(nodeNs).To(snapshot.HaveChangedSince(nodeBefore,
			"+ link cni0 bridge state up mtu 1500",
			"+ link veth-c1 veth state up mtu 1500 master cni0",
			"+ address 10.22.0.1/24 dev cni0"))
		Expect(containerNs).To(snapshot.HaveChangedSince(containerBefore,
			"+ link eth0 veth state up mtu 1500",
			"+ address 10.22.0.2/24 dev eth0",
			"+ route default via 10.22.0.1 dev eth0 table main"))

		Expect(cniDel(node)).To(Succeed())
		Expect(nodeNs).To(snapshot.BeUnchangedSince(nodeBefore))
		Expect(containerNs).To(snapshot.BeUnchangedSince(containerBefore))
	})
})
