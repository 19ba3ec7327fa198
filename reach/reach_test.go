package reach_test

import (
	"net"
	"net/netip"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/reach"
	"github.com/scratchnet/scratchnet/route"
	"github.com/scratchnet/scratchnet/veth"
)

// path is a source, a router and a target in a row:
//
//	src 10.13.1.1 --- 10.13.1.2 router 10.13.2.1 --- 10.13.2.2 dst
//	    fd13:1::1       fd13:1::2        fd13:2::1      fd13:2::2
//
// src routes everything through the router; dst routes back to src's
// subnet only, and the router forwards.
type path struct{ src, router, dst int }

func newPath() path {
	GinkgoHelper()
	p := path{
		src:    netns.NewTransient(netns.WithName("src")),
		router: netns.NewTransient(netns.WithName("router")),
		dst:    netns.NewTransient(netns.WithName("dst")),
	}
	// A router forwards IPv6 only once its link-local addresses are
	// usable: without duplicate address detection, at once.
	for _, ns := range []int{p.src, p.router, p.dst} {
		netns.SetSysctl(ns, "net.ipv6.conf.default.accept_dad", "0")
	}
	veth.NewTransient(veth.InNamespace(p.src), veth.WithPeerNamespace(p.router),
		veth.WithAddress("10.13.1.1/24"), veth.WithAddress("fd13:1::1/64"),
		veth.WithPeerAddress("10.13.1.2/24"), veth.WithPeerAddress("fd13:1::2/64"), veth.WithUp(), veth.WithPeerUp())
	veth.NewTransient(veth.InNamespace(p.dst), veth.WithPeerNamespace(p.router),
		veth.WithAddress("10.13.2.2/24"), veth.WithAddress("fd13:2::2/64"),
		veth.WithPeerAddress("10.13.2.1/24"), veth.WithPeerAddress("fd13:2::1/64"), veth.WithUp(), veth.WithPeerUp())
	route.AddDefault(p.src, "10.13.1.2")
	route.AddDefault(p.src, "fd13:1::2")
	route.Add(p.dst, "10.13.1.0/24", route.Via("10.13.2.1"))
	route.Add(p.dst, "fd13:1::/64", route.Via("fd13:2::1"))
	netns.SetSysctl(p.router, "net.ipv4.ip_forward", "1")
	netns.SetSysctl(p.router, "net.ipv6.conf.all.forwarding", "1")
	// These namespaces do duplicate address detection: until the
	// router's link-local addresses have passed it, about a second after
	// the links came up, the router sends no neighbour solicitation for
	// a packet it forwards (it has no source address for one). Once one
	// echo went through, the neighbours are resolved.
	Eventually(p.src).WithTimeout(5 * time.Second).Should(reach.Reach("fd13:2::2"))
	return p
}

// udpEcho answers every datagram in ns on addr until cleanup.
func udpEcho(ns int, addr string) {
	GinkgoHelper()
	netns.Execute(ns, func() {
		pc, err := net.ListenPacket("udp", addr)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(pc.Close)
		go func() {
			buf := make([]byte, 2048)
			for {
				n, from, err := pc.ReadFrom(buf)
				if err != nil {
					return
				}
				_, _ = pc.WriteTo(buf[:n], from)
			}
		}()
	})
}

// host is what a lab host looks like to the matchers: a namespace, a name,
// addresses.
type host struct {
	name  string
	ns    int
	addrs []netip.Addr
}

func (h host) Netns() int                { return h.ns }
func (h host) String() string            { return "host " + h.name }
func (h host) TargetAddrs() []netip.Addr { return h.addrs }

var _ = Describe("reachability matchers", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("reaches an address over a router by ICMP echo, IPv4 and IPv6", func() {
		p := newPath()
		Expect(p.src).To(reach.Reach("10.13.2.2"))
		Expect(p.src).To(reach.Reach("fd13:2::2"))
		Expect(p.dst).To(reach.Reach(netip.MustParseAddr("10.13.1.1")))
		Expect(p.src).To(reach.Reach(net.ParseIP("fd13:1::2")))
	})

	It("reaches a TCP port with a server and is refused at a closed one, saying so", func() {
		p := newPath()
		testsupport.ServeTCP(p.dst, "10.13.2.2:8080")
		Expect(p.src).To(reach.Reach("10.13.2.2", reach.TCP(8080)))

		m := reach.Reach("10.13.2.2", reach.TCP(8081))
		ok, err := m.Match(p.src)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse())
		msg := m.FailureMessage(p.src)
		Expect(msg).To(HavePrefix(`expected network namespace "src" (net:[`))
		Expect(msg).To(ContainSubstring("to reach 10.13.2.2 by TCP port 8081 (each try within 1s), but:"))
		Expect(msg).To(ContainSubstring("10.13.2.2: refused after"))
		Expect(msg).To(MatchRegexp(`route from network namespace "src" \(net:\[\d+\]\): 10.13.2.2 via 10.13.1.2 dev veth-\w+ src 10.13.1.1`))
	})

	It("reaches a UDP responder and is refused by ICMP port unreachable where none listens", func() {
		p := newPath()
		udpEcho(p.dst, "[fd13:2::2]:5353")
		Expect(p.src).To(reach.Reach("fd13:2::2", reach.UDP(5353), reach.Payload([]byte("query"))))
		Expect(p.src).NotTo(reach.Reach("fd13:2::2", reach.UDP(5354)))
		res, err := reach.Try(p.src, "fd13:2::2", reach.UDP(5354))
		Expect(err).NotTo(HaveOccurred())
		Expect(res).To(HaveLen(1))
		Expect(res[0].Outcome).To(Equal(reach.Refused))
	})

	It("tells no route, unreachable and timed out apart", func() {
		p := newPath()
		route.Add(p.router, "10.13.9.0/24", route.Via("10.13.2.2"))

		noRoute, err := reach.Try(p.dst, "10.13.7.1", reach.TCP(80))
		Expect(err).NotTo(HaveOccurred())
		Expect(noRoute[0].Outcome).To(Equal(reach.NoRoute))

		// The router has no route to 10.13.8.1 and says so by ICMP.
		unreachable, err := reach.Try(p.src, "10.13.8.1")
		Expect(err).NotTo(HaveOccurred())
		Expect(unreachable[0].Outcome).To(Equal(reach.Unreachable))
		Expect(unreachable[0].Detail).To(Equal("ICMP network unreachable from 10.13.1.2"))

		// No one on the wire answers address resolution for 10.13.2.77.
		silent, err := reach.Try(p.router, "10.13.2.77", reach.Within(200*time.Millisecond))
		Expect(err).NotTo(HaveOccurred())
		Expect(silent[0].Outcome).To(Equal(reach.TimedOut))

		m := reach.Reach("10.13.7.1")
		Expect(m.Match(p.dst)).To(BeFalse())
		Expect(m.FailureMessage(p.dst)).To(ContainSubstring("10.13.7.1: no route after"))
		Expect(m.FailureMessage(p.dst)).To(ContainSubstring(`route from network namespace "dst" (net:[`))
		Expect(m.FailureMessage(p.dst)).To(ContainSubstring(": none (network is unreachable)"))
	})

	It("takes named sources and targets with addresses of their own, by family", func() {
		p := newPath()
		alice := host{name: "alice", ns: p.src, addrs: []netip.Addr{netip.MustParseAddr("10.13.1.1"), netip.MustParseAddr("fd13:1::1")}}
		bob := host{name: "bob", ns: p.dst, addrs: []netip.Addr{netip.MustParseAddr("10.13.2.2"), netip.MustParseAddr("fd13:2::2")}}
		Expect(alice).To(reach.Reach(bob))
		Expect(alice).To(reach.Reach(bob, reach.IPv6()))
		Expect(bob).To(reach.Reach(alice, reach.IPv4()))

		m := reach.Reach(bob, reach.TCP(22), reach.Within(300*time.Millisecond))
		Expect(m.Match(alice)).To(BeFalse())
		Expect(m.FailureMessage(alice)).To(HavePrefix("expected host alice to reach host bob (10.13.2.2, fd13:2::2) by TCP port 22 (each try within 300ms), but:\n  10.13.2.2: refused"))

		m = reach.Reach(bob)
		Expect(m.Match(alice)).To(BeTrue())
		Expect(m.NegatedFailureMessage(alice)).To(HavePrefix("expected host alice not to reach host bob (10.13.2.2, fd13:2::2) by ICMP echo"))
		Expect(m.NegatedFailureMessage(alice)).To(ContainSubstring("10.13.2.2: reached after"))
	})

	It("works with Eventually, trying again on every poll", func() {
		p := newPath()
		served := make(chan struct{})
		go func() {
			defer GinkgoRecover()
			defer close(served)
			time.Sleep(300 * time.Millisecond)
			testsupport.ServeTCP(p.dst, "10.13.2.2:9000")
		}()
		Eventually(p.src).WithTimeout(5 * time.Second).Should(reach.Reach("10.13.2.2", reach.TCP(9000)))
		// The server accepts connections before ServeTCP has registered
		// its cleanup, which it must do while the spec still runs.
		<-served
	})

	It("says why it cannot try at all", func() {
		p := newPath()
		_, err := reach.Try("alice", "10.13.2.2")
		Expect(err).To(MatchError(ContainSubstring("the source must be a network namespace fd or have a Netns() method")))
		_, err = reach.Try(p.src, "bob")
		Expect(err).To(MatchError(ContainSubstring(`"bob" is not an IP address`)))
		_, err = reach.Try(p.src, "10.13.2.2", reach.TCP(0))
		Expect(err).To(MatchError(ContainSubstring("TCP(0)")))
		_, err = reach.Try(p.src, host{name: "v4only", addrs: []netip.Addr{netip.MustParseAddr("10.0.0.1")}}, reach.IPv6())
		Expect(err).To(MatchError(ContainSubstring("no address of the family asked for")))
	})
})
