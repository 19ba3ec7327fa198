package nsops_test

import (
	"net"
	"net/netip"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/netns"
)

var _ = Describe("a link's IPv6 addresses and groups, asked of the kernel for that link only", func() {
	BeforeEach(guard.SkipUnlessPrivileged)

	var (
		h    *netlink.Handle
		a, b netlink.Link
	)
	BeforeEach(func() {
		ns := netns.NewTransient()
		var err error
		h, err = netlink.NewHandleAt(vnetns.NsHandle(ns), unix.NETLINK_ROUTE)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(h.Close)
		Expect(h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "a"}, PeerName: "b"})).To(Succeed())
		a, err = h.LinkByName("a")
		Expect(err).NotTo(HaveOccurred())
		b, err = h.LinkByName("b")
		Expect(err).NotTo(HaveOccurred())
		for _, x := range []struct {
			l     netlink.Link
			cidr  string
			flags int
		}{{a, "fd00::1/64", unix.IFA_F_NODAD}, {a, "10.0.0.1/24", 0}, {b, "fd00::2/64", unix.IFA_F_NODAD}} {
			ip, ipnet, err := net.ParseCIDR(x.cidr)
			Expect(err).NotTo(HaveOccurred())
			ipnet.IP = ip
			Expect(h.AddrAdd(x.l, &netlink.Addr{IPNet: ipnet, Flags: x.flags})).To(Succeed())
		}
		Expect(h.LinkSetUp(a)).To(Succeed())
		Expect(h.LinkSetUp(b)).To(Succeed())
	})

	It("lists the link's IPv6 addresses with their flags, and no other link's", func() {
		addrs, err := nsops.IPv6Addrs(h, a.Attrs().Index)
		Expect(err).NotTo(HaveOccurred())
		Expect(addrs).To(ContainElement(HaveField("Addr", netip.MustParseAddr("fd00::1"))))
		for _, x := range addrs {
			Expect(x.Addr.Is6()).To(BeTrue(), "%s is not IPv6", x.Addr)
			Expect(x.Addr).NotTo(Equal(netip.MustParseAddr("fd00::2")), "an address of the other link")
			if x.Addr == netip.MustParseAddr("fd00::1") {
				Expect(x.Flags & unix.IFA_F_NODAD).NotTo(BeZero())
			}
		}
	})

	It("lists the groups the link joined, and no other link's", func() {
		Eventually(func() ([]netip.Addr, error) { return nsops.IPv6Groups(h, a.Attrs().Index) }).
			Should(ContainElement(netip.MustParseAddr("ff02::1:ff00:1")))
		Eventually(func() ([]netip.Addr, error) { return nsops.IPv6Groups(h, b.Attrs().Index) }).
			Should(ContainElement(netip.MustParseAddr("ff02::1:ff00:2")))
		groups, err := nsops.IPv6Groups(h, a.Attrs().Index)
		Expect(err).NotTo(HaveOccurred())
		Expect(groups).NotTo(ContainElement(netip.MustParseAddr("ff02::1:ff00:2")))
	})

	// A dump of the whole namespace would answer an unknown index with
	// nothing; the kernel's dump of one link, which makes the cost of a
	// query independent of the namespace's other links, fails for it.
	It("asks the kernel for the one link: an index without a link fails with ENODEV", func() {
		_, err := nsops.IPv6Addrs(h, 999999)
		Expect(err).To(MatchError(unix.ENODEV))
		_, err = nsops.IPv6Groups(h, 999999)
		Expect(err).To(MatchError(unix.ENODEV))
	})
})
