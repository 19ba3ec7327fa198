package firewall_test

import (
	"errors"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/nftables"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/firewall"
	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/route"
	"github.com/scratchnet/scratchnet/veth"
)

// topology is a client behind a router and a server outside it:
//
//	client 10.1.0.2 --lan-- 10.1.0.1 router 10.2.0.1 --wan-- 10.2.0.2 server
//
// The client's default route points at the router; the server has no route
// back to 10.1.0.0/24, so only masquerading lets the client reach it.
type topology struct {
	client, router, server int
	wan                    string // the router's interface towards the server
}

func newTopology() topology {
	GinkgoHelper()
	t := topology{
		client: netns.NewTransient(netns.WithName("client")),
		router: netns.NewTransient(netns.WithName("router")),
		server: netns.NewTransient(netns.WithName("server")),
	}
	veth.NewTransient(veth.InNamespace(t.client), veth.WithPeerNamespace(t.router),
		veth.WithAddress("10.1.0.2/24"), veth.WithPeerAddress("10.1.0.1/24"), veth.WithUp(), veth.WithPeerUp())
	_, wan := veth.NewTransient(veth.InNamespace(t.server), veth.WithPeerNamespace(t.router),
		veth.WithAddress("10.2.0.2/24"), veth.WithPeerAddress("10.2.0.1/24"), veth.WithUp(), veth.WithPeerUp())
	t.wan = wan.Attrs().Name
	route.AddDefault(t.client, "10.1.0.1")
	netns.SetSysctl(t.router, "net.ipv4.ip_forward", "1")
	return t
}

// tables lists the library's nftables tables in ns.
func tables(ns int) []string {
	GinkgoHelper()
	c, err := nftables.New(nftables.WithNetNSFd(ns))
	Expect(err).NotTo(HaveOccurred())
	all, err := c.ListTables()
	Expect(err).NotTo(HaveOccurred())
	var out []string
	for _, t := range all {
		if strings.HasPrefix(t.Name, firewall.TablePrefix) {
			out = append(out, t.Name)
		}
	}
	return out
}

var _ = Describe("nftables rule sets", func() {

	BeforeEach(func() {
		guard.SkipUnlessPrivileged()
		firewall.SkipUnlessSupported(firewall.Tables)
	})

	Context("with NAT", func() {

		BeforeEach(func() { firewall.SkipUnlessSupported(firewall.NAT) })

		It("masquerades: the server behind NAT sees the router's address", func() {
			top := newTopology()
			peers := testsupport.ServeTCP(top.server, "10.2.0.2:80").Peers()
			_, err := testsupport.DialTCP(top.client, "10.2.0.2:80", 300*time.Millisecond)
			Expect(testsupport.IsTimeout(err)).To(BeTrue(), "without NAT the server cannot answer, got %v", err)

			tb := firewall.New(top.router, firewall.Masquerade(top.wan))
			Expect(tb.Masquerades()).To(Equal([]string{top.wan}))
			_, err = testsupport.DialTCP(top.client, "10.2.0.2:80", 2*time.Second)
			Expect(err).NotTo(HaveOccurred())
			Expect(testsupport.NextPeer(peers)).To(Equal(netip.MustParseAddr("10.2.0.1")))
		})

		It("forwards a port of the router to the inner server", func() {
			top := newTopology()
			inner := testsupport.ServeTCP(top.client, "10.1.0.2:80").Peers()
			firewall.New(top.router, firewall.PortForward(firewall.TCP(8080), "10.1.0.2:80"))
			_, err := testsupport.DialTCP(top.server, "10.2.0.1:8080", 2*time.Second)
			Expect(err).NotTo(HaveOccurred())
			Expect(testsupport.NextPeer(inner)).To(Equal(netip.MustParseAddr("10.2.0.2")))
		})

		It("rewrites sources to a fixed address with SNAT", func() {
			top := newTopology()
			peers := testsupport.ServeTCP(top.server, "10.2.0.2:80").Peers()
			firewall.New(top.router, firewall.SNAT(top.wan, "10.2.0.1"))
			_, err := testsupport.DialTCP(top.client, "10.2.0.2:80", 2*time.Second)
			Expect(err).NotTo(HaveOccurred())
			Expect(testsupport.NextPeer(peers)).To(Equal(netip.MustParseAddr("10.2.0.1")))
		})
	})

	It("drops a port so that connecting times out, and matches sources", func() {
		top := newTopology()
		for _, port := range []string{"81", "84", "85"} {
			testsupport.ServeTCP(top.server, "10.2.0.2:"+port)
		}
		firewall.New(top.server,
			firewall.Drop(firewall.TCP(81)),
			firewall.Drop(firewall.From("10.2.0.0/24"), firewall.TCP(84)),
			firewall.Drop(firewall.From("10.9.0.0/16"), firewall.TCP(85)))
		_, err := testsupport.DialTCP(top.router, "10.2.0.2:81", 300*time.Millisecond)
		Expect(testsupport.IsTimeout(err)).To(BeTrue(), "dropped port 81: %v", err)
		_, err = testsupport.DialTCP(top.router, "10.2.0.2:84", 300*time.Millisecond)
		Expect(testsupport.IsTimeout(err)).To(BeTrue(), "port 84 dropped from 10.2.0.0/24: %v", err)
		_, err = testsupport.DialTCP(top.router, "10.2.0.2:85", 2*time.Second)
		Expect(err).NotTo(HaveOccurred(), "port 85 is only dropped from 10.9.0.0/16")
	})

	Context("with reject rules", func() {

		BeforeEach(func() { firewall.SkipUnlessSupported(firewall.RejectRules) })

		It("rejects a TCP port so that connecting is refused at once, and a UDP port with port unreachable", func() {
			top := newTopology()
			testsupport.ServeTCP(top.server, "10.2.0.2:82")
			firewall.New(top.server, firewall.Reject(firewall.TCP(82)), firewall.Reject(firewall.UDP(53)))
			took, err := testsupport.DialTCP(top.router, "10.2.0.2:82", 5*time.Second)
			Expect(errors.Is(err, syscall.ECONNREFUSED)).To(BeTrue(), "rejected port 82: %v", err)
			Expect(took).To(BeNumerically("<", 2500*time.Millisecond), "refused long before the 5 s timeout")

			netns.Execute(top.router, func() {
				conn, err := net.Dial("udp", "10.2.0.2:53")
				Expect(err).NotTo(HaveOccurred())
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
				_, err = conn.Write([]byte("query"))
				Expect(err).NotTo(HaveOccurred())
				_, err = conn.Read(make([]byte, 16))
				Expect(errors.Is(err, syscall.ECONNREFUSED)).To(BeTrue(), "rejected UDP port 53: %v", err)
			})
		})

		It("applies rules added mid-spec to routed traffic too", func() {
			top := newTopology()
			firewall.New(top.router, firewall.Masquerade(top.wan))
			testsupport.ServeTCP(top.server, "10.2.0.2:80")
			_, err := testsupport.DialTCP(top.client, "10.2.0.2:80", 2*time.Second)
			Expect(err).NotTo(HaveOccurred())
			firewall.New(top.router, firewall.Reject(firewall.From("10.1.0.2"), firewall.TCP(80)))
			_, err = testsupport.DialTCP(top.client, "10.2.0.2:80", 5*time.Second)
			Expect(errors.Is(err, syscall.ECONNREFUSED)).To(BeTrue(), "rejected while routed: %v", err)
		})
	})

	It("deletes its table at cleanup where the namespace outlives the spec, leaving other tables alone", func() {
		ns := netns.NewTransient()
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			tb := firewall.NewT(t, ns, firewall.Drop(firewall.UDP(9)))
			Expect(tb.Rules()).To(Equal([]string{"udp dport 9 drop"}))
			tb.Add(firewall.Drop(firewall.To("fd00::/64"), firewall.TCP(22)))
			Expect(tb.Rules()).To(Equal([]string{"udp dport 9 drop", "ip6 daddr fd00::/64 tcp dport 22 drop"}))
			Expect(tables(ns)).To(ConsistOf(tb.Name()))
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(tables(ns)).To(BeEmpty())
	})

	It("refuses rules that match nothing or make no sense, naming them", func() {
		ns := netns.NewTransient()
		for _, c := range []struct {
			rule   firewall.Rule
			reason string
		}{
			{firewall.Drop(firewall.TCP(0)), "tcp port 0 matches nothing"},
			{firewall.Drop(firewall.TCP(1), firewall.UDP(1)), "matches TCP and UDP ports at once"},
			{firewall.Drop(firewall.From("10.0.0.300")), `From("10.0.0.300")`},
			{firewall.Masquerade(""), `Masquerade(""): not an interface name`},
			{firewall.PortForward(firewall.From("10.0.0.1"), "10.0.0.2:80"), "the first match must be TCP(port) or UDP(port)"},
			{firewall.PortForward(firewall.TCP(80), "10.0.0.2"), `"10.0.0.2" is not an address and port`},
		} {
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) { firewall.NewT(t, ns, c.rule) })
			Expect(rec.Failures()).To(ConsistOf(SatisfyAll(HavePrefix("cannot add rule"), ContainSubstring(c.reason))))
		}
		Expect(tables(ns)).To(BeEmpty(), "every recorder's cleanup deleted its table")
	})
})

var _ = Describe("tables that callers manage", func() {

	BeforeEach(func() {
		guard.SkipUnlessPrivileged()
		firewall.SkipUnlessSupported(firewall.Tables)
	})

	It("makes a table with Make and deletes it with Remove, leaving other tables alone, and leaves none when a rule fails", func() {
		ns := netns.NewTransient()
		other := firewall.New(ns, firewall.Drop(firewall.UDP(9)))
		name, err := firewall.Make(ns, firewall.Drop(firewall.TCPSourcePort(80)).AlsoOutgoing(), firewall.ClampMSS(500, firewall.AnyTCP()))
		Expect(err).NotTo(HaveOccurred())
		Expect(tables(ns)).To(ConsistOf(other.Name(), name))
		Expect(firewall.Remove(ns, name)).To(Succeed())
		Expect(firewall.Remove(ns, name)).To(Succeed(), "a table that is gone already is fine")
		Expect(tables(ns)).To(ConsistOf(other.Name()))

		_, err = firewall.Make(ns, firewall.Drop(firewall.UDP(9)), firewall.Masquerade("wan").AlsoOutgoing())
		Expect(err).To(MatchError(ContainSubstring(`AlsoOutgoing: "oifname \"wan\" masquerade" is not a filter rule`)))
		Expect(tables(ns)).To(ConsistOf(other.Name()), "nothing of the failed Make stays")
		Expect(firewall.Remove(ns, "mine")).To(MatchError(ContainSubstring(`the library's tables are named "scratchnet-"`)))
	})

	It("drops only what arrives for the namespace with OnlyArriving, and every frame arriving at an interface with MakeIngressDrop", func() {
		top := newTopology()
		route.AddDefault(top.server, "10.2.0.1")
		testsupport.ServeTCP(top.server, "10.2.0.2:80")
		other := firewall.New(top.router, firewall.Drop(firewall.UDP(9)))
		name, err := firewall.Make(top.router, firewall.Drop(firewall.From("10.2.0.2")).OnlyArriving())
		Expect(err).NotTo(HaveOccurred())
		_, err = testsupport.DialTCP(top.router, "10.2.0.2:80", 300*time.Millisecond)
		Expect(testsupport.IsTimeout(err)).To(BeTrue(), "the router drops what the server sends it: %v", err)
		_, err = testsupport.DialTCP(top.client, "10.2.0.2:80", 2*time.Second)
		Expect(err).NotTo(HaveOccurred(), "the router still routes what the server sends the client")
		Expect(firewall.Remove(top.router, name)).To(Succeed())

		_, err = firewall.Make(top.router, firewall.Masquerade("wan").OnlyArriving())
		Expect(err).To(MatchError(ContainSubstring(`OnlyArriving: "oifname \"wan\" masquerade" is not a filter rule`)))

		name, err = firewall.MakeIngressDrop(top.router, top.wan)
		Expect(err).NotTo(HaveOccurred())
		Expect(tables(top.router)).To(ConsistOf(other.Name(), name))
		_, err = testsupport.DialTCP(top.router, "10.2.0.2:80", 300*time.Millisecond)
		Expect(testsupport.IsTimeout(err)).To(BeTrue(), "the server's answers do not arrive at the router: %v", err)
		Expect(firewall.Remove(top.router, name)).To(Succeed())
		Expect(tables(top.router)).To(ConsistOf(other.Name()), "Remove finds a table of the netdev family")
		_, err = testsupport.DialTCP(top.router, "10.2.0.2:80", 2*time.Second)
		Expect(err).NotTo(HaveOccurred(), "the router reaches the server again")
	})

	It("describes the rules of a cut", func() {
		var descs []string
		for _, r := range firewall.Cut(firewall.TCP(8080)) {
			descs = append(descs, r.String())
		}
		Expect(descs).To(Equal([]string{
			"tcp dport 8080 tcp flags & (syn|ack) == syn reject with tcp reset",
			"tcp dport 8080 ct mark & 0x40000000 != 0 reject with tcp reset",
			"tcp dport 8080 ct mark set ct mark | 0x40000000 tcp flags set rst|ack",
		}))
	})
})
