package lab_test

import (
	"net/netip"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/firewall"
	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/impair"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/lab"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/reach"
)

func mtuOf(i *lab.Iface) int {
	GinkgoHelper()
	l, err := i.Host.Handle().LinkByName(i.Name())
	Expect(err).NotTo(HaveOccurred())
	return l.Attrs().MTU
}

var _ = Describe("realistic labs", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("gives wires and segment members MTUs, hardware addresses and txqueuelens", func() {
		l := lab.New()
		alice, bob, carol := l.Host("alice"), l.Host("bob"), l.Host("carol")
		a, b := l.Connect(alice, bob, lab.WithMTU(1280), lab.WithTxQLen(50),
			lab.WithHardwareAddrs("02:00:00:00:0a:01", "02:00:00:00:0b:01"))
		Expect(mtuOf(a)).To(Equal(1280))
		Expect(mtuOf(b)).To(Equal(1280))
		la, err := alice.Handle().LinkByName(a.Name())
		Expect(err).NotTo(HaveOccurred())
		Expect(la.Attrs().HardwareAddr.String()).To(Equal("02:00:00:00:0a:01"))
		Expect(la.Attrs().TxQLen).To(Equal(50))
		lb, err := bob.Handle().LinkByName(b.Name())
		Expect(err).NotTo(HaveOccurred())
		Expect(lb.Attrs().HardwareAddr.String()).To(Equal("02:00:00:00:0b:01"))

		lan := l.Segment("lan", lab.WithMTU(9000))
		ia, ib := lan.AttachWith(alice), lan.AttachWith(bob, lab.WithMTU(1400), lab.WithHardwareAddrs("02:00:00:00:0b:02"))
		ic := lan.Attach(carol)[0]
		Expect([]int{mtuOf(ia), mtuOf(ib), mtuOf(ic)}).To(Equal([]int{9000, 1400, 9000}))
		hb, err := bob.Handle().LinkByName(ib.Name())
		Expect(err).NotTo(HaveOccurred())
		Expect(hb.Attrs().HardwareAddr.String()).To(Equal("02:00:00:00:0b:02"))
		// A full-sized packet of the 1280 wire passes; one byte more does
		// not fit unfragmented (don't-fragment is set for ICMP here too).
		Expect(alice).To(lab.Reach(b, lab.Payload(make([]byte, 1280-28))))
	})

	It("leaves segment members without addresses or gives them addresses of the caller's choosing", func() {
		l := lab.New()
		dhcpd, client, fixed := l.Host("dhcpd"), l.Host("client"), l.Host("fixed")
		lan := l.Segment("lan", lab.Subnet("192.168.9.0/24"), lab.Subnet("fd09::/64"))
		server := lan.Attach(dhcpd)[0]
		bare := lan.AttachWith(client, lab.NoAddrs())
		chosen := lan.AttachWith(fixed, lab.Addrs("192.168.9.77/24", "fd09::77/64"))

		Expect(server.IPv4.String()).To(Equal("192.168.9.1/24"))
		Expect(bare.IPv4.IsValid() || bare.IPv6.IsValid()).To(BeFalse())
		Expect(client.Addrs()).NotTo(HaveKey("lan"), "no global address on the bare member")
		link, err := client.Handle().LinkByName("lan")
		Expect(err).NotTo(HaveOccurred())
		Expect(link.Attrs().OperState).To(Equal(netlink.LinkOperState(netlink.OperUp)), "up, for a DHCP client to use")
		Expect(chosen.IPv4.String()).To(Equal("192.168.9.77/24"))
		Expect(fixed.Addrs()["lan"]).To(ConsistOf(chosen.IPv4, chosen.IPv6))
		Expect(dhcpd).To(lab.Reach("192.168.9.77"))
		Expect(dhcpd).To(lab.Reach(fixed, lab.IPv6()))

		wire, _ := l.Connect(client, fixed, lab.NoAddrs())
		Expect(client.Addrs()).NotTo(HaveKey(wire.Name()))
	})

	It("sets sysctls of a host", func() {
		l := lab.New()
		alice := l.Host("alice")
		Expect(alice.Sysctl("net.ipv4.conf.all.rp_filter", "2")).To(Equal("0"))
		Expect(netns.Sysctl(alice.Netns(), "net.ipv4.conf.all.rp_filter")).To(Equal("2"))
	})

	It("refuses options that do not fit, naming them", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			l := lab.NewT(t)
			l.Connect(l.Host("a"), l.Host("b"), lab.WithMTU(20))
		})
		Expect(rec.Failures()).To(ConsistOf(ContainSubstring("WithMTU(20): an Ethernet MTU is between 68 and 65535")))
		rec = &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			l := lab.NewT(t)
			l.Segment("lan").AttachWith(l.Host("a"), lab.Subnet("10.9.0.0/24"))
		})
		Expect(rec.Failures()).To(ConsistOf(ContainSubstring("Subnet applies to whole segments and wires")))
	})

	Context("with impaired wires", func() {

		BeforeEach(func() { impair.SkipUnlessSupported("tbf") })

		It("limits one direction of a wire and leaves the other clean", func() {
			l := lab.New()
			alice, bob := l.Host("alice"), l.Host("bob")
			a, b := l.Connect(alice, bob, lab.ImpairFrom(alice, impair.Rate(1_000_000)))
			Expect(a.Impaired()).To(BeTrue())
			Expect(a.Impairment().String()).To(HavePrefix("tbf rate 1Mbit"))
			Expect(b.Impaired()).To(BeFalse())
			Expect(b.Impairment()).To(BeNil())

			toBob := testsupport.ServeTCP(bob.Netns(), netip.AddrPortFrom(b.IPv4.Addr(), 7000).String())
			toAlice := testsupport.ServeTCP(alice.Netns(), netip.AddrPortFrom(a.IPv4.Addr(), 7000).String())
			const size = 128 << 10
			slow := testsupport.SendTCP(alice.Netns(), toBob, size)
			fast := testsupport.SendTCP(bob.Netns(), toAlice, size)
			By("alice to bob " + slow.Took.String() + ", bob to alice " + fast.Took.String())
			Expect(slow.Mbits()).To(BeNumerically("<", 1.5))
			Expect(fast.Mbits()).To(BeNumerically(">", 3*slow.Mbits()))

			a.Impair()
			Expect(a.Impaired()).To(BeFalse())
			Expect(a.Impairment().String()).To(Equal("none"))
			again := testsupport.SendTCP(alice.Netns(), toBob, size)
			Expect(again.Mbits()).To(BeNumerically(">", 3*slow.Mbits()))
		})

		It("impairs both directions of a segment member", func() {
			l := lab.New()
			alice, bob := l.Host("alice"), l.Host("bob")
			lan := l.Segment("lan")
			ia := lan.AttachWith(alice, lab.Impair(impair.Rate(1_000_000)))
			ib := lan.Attach(bob)[0]
			Expect(ia.Impaired()).To(BeTrue())
			toBob := testsupport.ServeTCP(bob.Netns(), netip.AddrPortFrom(ib.IPv4.Addr(), 7000).String())
			toAlice := testsupport.ServeTCP(alice.Netns(), netip.AddrPortFrom(ia.IPv4.Addr(), 7000).String())
			Expect(testsupport.SendTCP(alice.Netns(), toBob, 96<<10).Mbits()).To(BeNumerically("<", 1.5))
			Expect(testsupport.SendTCP(bob.Netns(), toAlice, 96<<10).Mbits()).To(BeNumerically("<", 1.5))
		})
	})

	It("delays both directions of a wire with netem, raising round trips by both delays", func() {
		impair.SkipUnlessSupported("netem")
		l := lab.New()
		alice, bob := l.Host("alice"), l.Host("bob")
		_, b := l.Connect(alice, bob)
		_, bd := l.Connect(alice, bob, lab.Impair(impair.Delay(25*time.Millisecond)))
		plain := testsupport.ServeTCP(bob.Netns(), netip.AddrPortFrom(b.IPv4.Addr(), 7000).String())
		impaired := testsupport.ServeTCP(bob.Netns(), netip.AddrPortFrom(bd.IPv4.Addr(), 7000).String())
		clean := testsupport.ConnectTime(alice.Netns(), plain.Addr(), 20)
		delayed := testsupport.ConnectTime(alice.Netns(), impaired.Addr(), 3)
		Expect(delayed - clean).To(BeNumerically(">=", 50*time.Millisecond))
		Expect(bd.Impairment().String()).To(Equal("netem delay 25ms"))
	})

	Context("with NAT and firewalls", func() {

		BeforeEach(func() {
			firewall.SkipUnlessSupported(firewall.NAT)
			firewall.SkipUnlessSupported(firewall.RejectRules)
		})

		It("hides hosts behind a NAT router, forwards a port to an inner server, and filters ports", func() {
			l := lab.New()
			alice, nat, server := l.Host("alice"), l.Router("nat"), l.Host("server")
			_, natInside := l.Connect(alice, nat)
			natOutside, srv := l.Connect(nat, server)
			alice.DefaultRoute(natInside)
			nat.NAT(natOutside)
			Expect(nat.NATs()).To(Equal([]string{"server"}))

			// server has no route back to alice's subnet: only NAT helps.
			seen := testsupport.ServeTCP(server.Netns(), netip.AddrPortFrom(srv.IPv4.Addr(), 80).String()).Peers()
			Expect(alice).To(lab.Reach(srv, lab.TCP(80)))
			Expect(testsupport.NextPeer(seen)).To(Equal(natOutside.IPv4.Addr()))

			inner := alice.Iface("nat")
			innerSeen := testsupport.ServeTCP(alice.Netns(), netip.AddrPortFrom(inner.IPv4.Addr(), 8000).String()).Peers()
			nat.PortForward(firewall.TCP(8080), inner, 8000)
			Expect(server).To(lab.Reach(natOutside.IPv4.Addr().String(), lab.TCP(8080)))
			Expect(testsupport.NextPeer(innerSeen)).To(Equal(srv.IPv4.Addr()))

			testsupport.ServeTCP(server.Netns(), netip.AddrPortFrom(srv.IPv4.Addr(), 81).String())
			testsupport.ServeTCP(server.Netns(), netip.AddrPortFrom(srv.IPv4.Addr(), 82).String())
			server.Firewall(firewall.Drop(firewall.TCP(81)), firewall.Reject(firewall.TCP(82)))
			Expect(server.FirewallRules()).To(Equal([]string{"tcp dport 81 drop", "tcp dport 82 reject with tcp reset"}))
			dropped, err := reach.Try(alice, srv, lab.TCP(81), lab.Within(300*time.Millisecond))
			Expect(err).NotTo(HaveOccurred())
			Expect(dropped[0].Outcome).To(Equal(reach.TimedOut))
			rejected, err := reach.Try(alice, srv, lab.TCP(82), lab.Within(5*time.Second))
			Expect(err).NotTo(HaveOccurred())
			Expect(rejected[0].Outcome).To(Equal(reach.Refused))
			Expect(rejected[0].Took).To(BeNumerically("<", 2500*time.Millisecond))
			Expect(alice).NotTo(lab.Reach(srv, lab.TCP(82)))
		})
	})
})
