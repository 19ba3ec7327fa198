package fault_test

import (
	"net/netip"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/fault"
	"github.com/scratchnet/scratchnet/firewall"
	"github.com/scratchnet/scratchnet/lab"
)

var _ = Describe("Partition", func() {
	BeforeEach(skipUnlessPartitions)

	// listen gives each host a TCP listener on port 7 of all its addresses.
	listen := func(hosts ...*lab.Host) {
		for _, h := range hosts {
			h.Listen("tcp", "[::]:7")
		}
	}

	It("stalls a TCP transfer across a segment while it holds, and the transfer resumes after the heal", func() {
		l := lab.New()
		a, b := l.Host("a"), l.Host("b")
		ifs := l.Segment("lan").Attach(a, b)
		got := stream(a, b, ifs[1].IPv4.Addr())

		p := fault.Inject(fault.Partition([]*lab.Host{a}, []*lab.Host{b}))
		stalled := settled(got)
		Consistently(got.Load).WithTimeout(300*time.Millisecond).Should(Equal(stalled), "no byte crosses the partition")

		fault.Heal(p)
		// The sender retransmits with exponential backoff: the next try
		// after the heal may be seconds away.
		Eventually(got.Load).WithTimeout(10*time.Second).Should(BeNumerically(">", stalled), "the transfer resumes after the heal")
	})

	It("cuts both directions between groups over IPv4 and IPv6 and leaves traffic within a group alone", func() {
		l := lab.New()
		a, b, c := l.Host("a"), l.Host("b"), l.Host("c")
		ifs := l.Segment("lan").Attach(a, b, c)
		listen(a, b, c)
		p := fault.Inject(fault.Partition([]*lab.Host{a, b}, []*lab.Host{c}))
		for _, addr := range []func(*lab.Iface) netip.Addr{
			func(i *lab.Iface) netip.Addr { return i.IPv4.Addr() },
			func(i *lab.Iface) netip.Addr { return i.IPv6.Addr() },
		} {
			Expect(reaches(a, addr(ifs[2]), 7)).To(BeFalse(), "a reaches c")
			Expect(reaches(c, addr(ifs[0]), 7)).To(BeFalse(), "c reaches a")
			Expect(reaches(c, addr(ifs[1]), 7)).To(BeFalse(), "c reaches b")
			Expect(reaches(a, addr(ifs[1]), 7)).To(BeTrue(), "a cannot reach b")
		}
		fault.Heal(p)
		// Neighbour resolutions failed during the partition: the first
		// attempt after the heal may wait for a new one.
		Eventually(reaches).WithArguments(a, ifs[2].IPv4.Addr(), uint16(7)).WithTimeout(3*time.Second).Should(BeTrue(), "a cannot reach c after the heal")
		Eventually(reaches).WithArguments(c, ifs[0].IPv6.Addr(), uint16(7)).WithTimeout(3*time.Second).Should(BeTrue(), "c cannot reach a after the heal")
	})

	It("cuts a routed path between groups, and not the router's own traffic", func() {
		l := lab.New()
		alice, router, bob := l.Host("alice"), l.Router("router"), l.Host("bob")
		a, ra := l.Connect(alice, router)
		b, rb := l.Connect(bob, router)
		alice.DefaultRoute(ra)
		bob.DefaultRoute(rb)
		listen(alice, router, bob)
		fault.Inject(fault.Partition([]*lab.Host{alice}, []*lab.Host{bob}))
		Expect(reaches(alice, b.IPv4.Addr(), 7)).To(BeFalse(), "alice reaches bob through the router")
		Expect(reaches(bob, a.IPv6.Addr(), 7)).To(BeFalse(), "bob reaches alice through the router")
		Expect(reaches(alice, rb.IPv4.Addr(), 7)).To(BeTrue(), "alice cannot reach the router")
		Expect(reaches(router, b.IPv4.Addr(), 7)).To(BeTrue(), "the router cannot reach bob")
	})

	It("cuts one way only with OneWay", func() {
		l := lab.New()
		a, c := l.Host("a"), l.Host("c")
		ifs := l.Segment("lan").Attach(a, c)
		atA := a.ListenPacket("udp", netip.AddrPortFrom(ifs[0].IPv4.Addr(), 0).String())
		atC := c.ListenPacket("udp", netip.AddrPortFrom(ifs[1].IPv4.Addr(), 0).String())
		fault.Inject(fault.OneWay([]*lab.Host{a}, []*lab.Host{c}))

		fromA := a.Dial("udp", atC.LocalAddr().String())
		fromC := c.Dial("udp", atA.LocalAddr().String())
		buf := make([]byte, 16)
		Expect(fromC.Write([]byte("c to a"))).To(Equal(6))
		Expect(atA.SetReadDeadline(time.Now().Add(2 * time.Second))).To(Succeed())
		n, _, err := atA.ReadFrom(buf)
		Expect(err).NotTo(HaveOccurred(), "a datagram from c to a is lost")
		Expect(string(buf[:n])).To(Equal("c to a"))

		Expect(fromA.Write([]byte("a to c"))).To(Equal(6))
		Expect(atC.SetReadDeadline(time.Now().Add(300 * time.Millisecond))).To(Succeed())
		_, _, err = atC.ReadFrom(buf)
		Expect(err).To(MatchError(ContainSubstring("timeout")), "a datagram from a to c arrives")
	})

	It("isolates one host from all the others", func() {
		l := lab.New()
		a, b, c := l.Host("a"), l.Host("b"), l.Host("c")
		ifs := l.Segment("lan").Attach(a, b, c)
		listen(a, b, c)
		iso := fault.Inject(fault.Isolate(l, c))
		Expect(iso.String()).To(Equal("isolate c"))
		Expect(reaches(a, ifs[2].IPv4.Addr(), 7)).To(BeFalse(), "a reaches c")
		Expect(reaches(c, ifs[1].IPv4.Addr(), 7)).To(BeFalse(), "c reaches b")
		Expect(reaches(a, ifs[1].IPv4.Addr(), 7)).To(BeTrue(), "a cannot reach b")
	})

	It("heals exactly: its tables go, the user's firewall stays, and it can be applied again", func() {
		l := lab.New()
		a, b := l.Host("a"), l.Host("b")
		ifs := l.Segment("lan").Attach(a, b)
		listen(a, b)
		user := b.Firewall(firewall.Drop(firewall.TCP(9)))
		p := fault.Partition([]*lab.Host{a}, []*lab.Host{b})
		Expect(p.String()).To(Equal("partition {a} | {b}"))
		for range 2 {
			fault.Inject(p)
			Expect(faultTables(a.Netns())).To(HaveLen(1))
			Expect(faultTables(b.Netns(), user.Name())).To(HaveLen(1))
			fault.Heal(p)
			Expect(faultTables(a.Netns())).To(BeEmpty())
			Expect(faultTables(b.Netns(), user.Name())).To(BeEmpty())
			Expect(user.Rules()).To(ConsistOf(`tcp dport 9 drop`))
			Eventually(reaches).WithArguments(a, ifs[1].IPv4.Addr(), uint16(7)).WithTimeout(3 * time.Second).Should(BeTrue())
		}
		Expect(p.Heal()).To(Succeed(), "healing a healed fault does nothing")
	})
})
