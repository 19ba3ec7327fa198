package example_test

import (
	"net"
	"net/netip"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/capture"
	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/lab"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

// udpEcho listens on addr in the server's namespace and answers every
// datagram with the same bytes, until the spec ends.
func udpEcho(server *lab.Host, addr netip.Addr) net.Addr {
	GinkgoHelper()
	var conn net.PacketConn
	server.Execute(func() {
		var err error
		conn, err = net.ListenPacket("udp", netip.AddrPortFrom(addr, 0).String())
		Expect(err).NotTo(HaveOccurred())
	})
	DeferCleanup(conn.Close)
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = conn.WriteTo(buf[:n], from)
		}
	}()
	return conn.LocalAddr()
}

// udpAsk sends msg from the client's namespace to addr and returns the answer.
func udpAsk(client *lab.Host, addr net.Addr, msg string) string {
	GinkgoHelper()
	var conn net.Conn
	client.Execute(func() {
		var err error
		conn, err = net.Dial("udp", addr.String())
		Expect(err).NotTo(HaveOccurred())
	})
	defer conn.Close()
	Expect(conn.SetDeadline(time.Now().Add(2 * time.Second))).To(Succeed())
	_, err := conn.Write([]byte(msg))
	Expect(err).NotTo(HaveOccurred())
	buf := make([]byte, 1500)
	n, err := conn.Read(buf)
	Expect(err).NotTo(HaveOccurred())
	return string(buf[:n])
}

var _ = Describe("whole topologies by example", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("gives a veth pair IPv4 and IPv6 addresses and sends TCP over both", func() {
		By("creating two namespaces and an addressed veth pair between them, both ends up")
		left, right := netns.NewTransient(), netns.NewTransient()
		veth.NewTransient(veth.InNamespace(left), veth.WithPeerNamespace(right),
			veth.WithAddress("192.0.2.1/24"), veth.WithAddress("fd00:db8::1/64"), veth.WithUp(),
			veth.WithPeerAddress("192.0.2.2/24"), veth.WithPeerAddress("fd00:db8::2/64"), veth.WithPeerUp())

		for _, server := range []string{"192.0.2.2", "fd00:db8::2"} {
			By("listening on " + server + " in right and saying hello from left")
			// IPv6 addresses are added without duplicate address
			// detection: usable at once, not "tentative" for a second.
			var ln net.Listener
			netns.Execute(right, func() {
				var err error
				ln, err = net.Listen("tcp", net.JoinHostPort(server, "0"))
				Expect(err).NotTo(HaveOccurred())
			})
			netns.Execute(left, func() {
				c, err := net.Dial("tcp", ln.Addr().String())
				Expect(err).NotTo(HaveOccurred())
				_, err = c.Write([]byte("hello"))
				Expect(err).NotTo(HaveOccurred())
				Expect(c.Close()).To(Succeed())
			})
			c, err := ln.Accept()
			Expect(err).NotTo(HaveOccurred())
			buf := make([]byte, 5)
			_, err = c.Read(buf)
			Expect(err).NotTo(HaveOccurred())
			Expect(string(buf)).To(Equal("hello"))
			Expect(c.Close()).To(Succeed())
			Expect(ln.Close()).To(Succeed())
		}
	})

	It("puts three hosts on one bridged segment, each reaching the others", func() {
		By("building a lab: three hosts plugged into segment \"lan\"")
		l := lab.New()
		alice, bob, carol := l.Host("alice"), l.Host("bob"), l.Host("carol")
		lan := l.Segment("lan")
		lan.Attach(alice, bob, carol)
		// Each host now has an interface "lan" with 10.0.1.x/24 and
		// fd00:0:0:1::x/64; the bridge lives in a namespace of its own.

		hosts := []*lab.Host{alice, bob, carol}
		for _, server := range hosts {
			By("running a UDP echo server on " + server.Name + " and asking it from the others")
			echo := udpEcho(server, lan.Iface(server).IPv4.Addr())
			for _, client := range hosts {
				if client != server {
					Expect(udpAsk(client, echo, "ping from "+client.Name)).To(Equal("ping from " + client.Name))
				}
			}
		}
	})

	It("routes through a router host between two subnets", func() {
		By("wiring alice and bob to a router, each on a subnet of its own")
		l := lab.New()
		alice, router, bob := l.Host("alice"), l.Router("router"), l.Host("bob")
		_, routerToAlice := l.Connect(alice, router)    // 10.0.1.0/24
		toRouter, routerToBob := l.Connect(bob, router) // 10.0.2.0/24

		By("pointing alice's default route and bob's route back at the router")
		alice.DefaultRoute(routerToAlice)
		bob.Route("10.0.1.0/24", routerToBob)
		bob.Route("fd00:0:0:1::/64", routerToBob)

		By("asking a UDP echo server on bob from alice, one routed hop away, over IPv4 and IPv6")
		for _, addr := range []netip.Addr{toRouter.IPv4.Addr(), toRouter.IPv6.Addr()} {
			echo := udpEcho(bob, addr)
			Expect(udpAsk(alice, echo, "across the router")).To(Equal("across the router"))
		}
	})

	It("captures a lab's traffic, shown decoded in the report if the spec fails", func() {
		capture.SkipUnlessSupported()
		By("capturing every interface of a lab from its start")
		l := lab.New()
		l.Capture() // one pcapng file per interface, kept only if the spec fails
		alice, bob := l.Host("alice"), l.Host("bob")
		toBob, toAlice := l.Connect(alice, bob)

		By("asking a UDP echo server on bob from alice")
		echo := udpEcho(bob, toAlice.IPv4.Addr())
		Expect(udpAsk(alice, echo, "captured")).To(Equal("captured"))

		By("reading the last packets of alice's end, as a failure report shows them")
		Expect(toBob.Capture().Lines()).To(ContainElement(MatchRegexp(`IP 10\.0\.1\.1\.\d+ > 10\.0\.1\.2\.\d+: UDP length 8$`)))
		// The diagram that begins the lab's report; l.Mermaid() draws it too.
		Expect(l.Diagram()).To(ContainSubstring("alice:bob 10.0.1.1/24 fd00:0:0:1::1/64 ─── bob:alice 10.0.1.2/24 fd00:0:0:1::2/64"))
	})
})
