package lab_test

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/lab"
	"github.com/scratchnet/scratchnet/netns"
)

// talkTCP listens on addr in server, connects from client and returns what
// the server read.
func talkTCP(server, client *lab.Host, addr netip.Addr) string {
	GinkgoHelper()
	var ln net.Listener
	server.Execute(func() {
		var err error
		ln, err = net.Listen("tcp", netip.AddrPortFrom(addr, 0).String())
		Expect(err).NotTo(HaveOccurred())
	})
	defer ln.Close()
	client.Execute(func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		Expect(err).NotTo(HaveOccurred())
		_, err = c.Write([]byte("hi from " + client.Name))
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Close()).To(Succeed())
	})
	c, err := ln.Accept()
	Expect(err).NotTo(HaveOccurred())
	defer c.Close()
	msg, err := io.ReadAll(c)
	Expect(err).NotTo(HaveOccurred())
	return string(msg)
}

var _ = Describe("labs", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	// The kernel does its work for a new IPv6 address (joining the
	// address's solicited-node group, and with DAD off ending its tentative
	// state) in deferred work after the link comes up; unchecked, a few
	// percent of fresh interfaces were not done yet when Connect returned.
	It("returns new interfaces whose IPv6 addresses are all ready: none tentative, each in its solicited-node group", func() {
		// ready checks i at once, through a handle opened before i existed.
		ready := func(i *lab.Iface, h *netlink.Handle) {
			GinkgoHelper()
			addrs, err := nsops.RetryDump(func() ([]netlink.Addr, error) { return h.AddrList(i.Link, netlink.FAMILY_V6) })
			Expect(err).NotTo(HaveOccurred())
			var groups []byte
			i.Host.Execute(func() { groups, err = os.ReadFile("/proc/thread-self/net/igmp6") })
			Expect(err).NotTo(HaveOccurred())
			Expect(addrs).To(HaveLen(2), "a link-local and the lab's address on %v", i)
			for _, addr := range addrs {
				Expect(addr.Flags&unix.IFA_F_TENTATIVE).To(BeZero(), "%s on %v is tentative", addr.IPNet, i)
				ip := addr.IP.To16()
				group := fmt.Sprintf("ff0200000000000000000001ff%02x%02x%02x", ip[13], ip[14], ip[15])
				Expect(string(groups)).To(MatchRegexp(`(?m)^\d+\s+%s\s+%s\s`, regexp.QuoteMeta(i.Name()), group),
					"%v has not joined the solicited-node group of %s", i, addr.IPNet)
			}
		}
		handle := func(h *lab.Host) *netlink.Handle {
			GinkgoHelper()
			hd, err := nsops.RouteHandleAt(h.Netns())
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(hd.Close)
			return hd
		}
		for n := range 40 {
			l := lab.New()
			alice, bob := l.Host("alice"), l.Host("bob")
			ha, hb := handle(alice), handle(bob)
			a, b := l.Connect(alice, bob)
			ready(a, ha)
			ready(b, hb)
			if n%10 == 0 {
				carol := l.Host("carol")
				hc := handle(carol)
				ready(l.Segment("lan").Attach(carol)[0], hc)
			}
		}
	})

	It("answers the first IPv6 echo over a new wire and a new segment at once, with no neighbour solicitation lost", func() {
		for range 5 {
			l := lab.New()
			alice, bob, carol := l.Host("alice"), l.Host("bob"), l.Host("carol")
			l.Connect(alice, bob)
			l.Segment("lan").Attach(alice, carol)
			// A lost solicitation is asked again only after a second.
			Expect(alice).To(lab.Reach(bob, lab.IPv6(), lab.Within(500*time.Millisecond)))
			Expect(carol).To(lab.Reach(alice, lab.IPv6(), lab.Within(500*time.Millisecond)))
		}
	})

	It("connects two hosts with an addressed wire that carries TCP over IPv4 and IPv6", func() {
		l := lab.New()
		alice, bob := l.Host("alice"), l.Host("bob")
		a, b := l.Connect(alice, bob)
		Expect(a.Name()).To(Equal("bob"))
		Expect(b.Name()).To(Equal("alice"))
		Expect(a.IPv4.String()).To(Equal("10.0.1.1/24"))
		Expect(b.IPv4.String()).To(Equal("10.0.1.2/24"))
		Expect(a.IPv6.String()).To(Equal("fd00:0:0:1::1/64"))
		Expect(b.IPv6.String()).To(Equal("fd00:0:0:1::2/64"))
		Expect(alice.Addrs()).To(HaveKeyWithValue("bob", ConsistOf(a.IPv4, a.IPv6)))
		Expect(talkTCP(bob, alice, b.IPv4.Addr())).To(Equal("hi from alice"))
		Expect(talkTCP(alice, bob, a.IPv6.Addr())).To(Equal("hi from bob"))
	})

	It("takes explicit subnets and addresses", func() {
		l := lab.New()
		alice, bob := l.Host("alice"), l.Host("bob")
		a, b := l.Connect(alice, bob, lab.Subnet("192.168.7.0/24"), lab.Addrs("fd07::a/64", "fd07::b/64"))
		Expect([]string{a.IPv4.String(), b.IPv4.String(), a.IPv6.String(), b.IPv6.String()}).To(Equal(
			[]string{"192.168.7.1/24", "192.168.7.2/24", "fd07::a/64", "fd07::b/64"}))
		Expect(bob.Addrs()["alice"]).To(ConsistOf(b.IPv4, b.IPv6))
	})

	It("names a second wire between the same hosts apart from the first", func() {
		l := lab.New()
		alice, bob := l.Host("alice"), l.Host("bob")
		l.Connect(alice, bob)
		a2, _ := l.Connect(alice, bob)
		Expect(a2.Name()).To(Equal("bob1"))
		Expect(alice.Ifaces()).To(HaveLen(2))
		Expect(alice.Iface("bob1")).To(BeIdenticalTo(a2))
	})

	It("puts three hosts on one bridged segment where each reaches the others", func() {
		l := lab.New()
		hosts := []*lab.Host{l.Host("alice"), l.Host("bob"), l.Host("carol")}
		lan := l.Segment("lan")
		ifaces := lan.Attach(hosts...)
		Expect(ifaces[2].IPv4.String()).To(Equal("10.0.1.3/24"))
		Expect(lan.Iface(hosts[1])).To(BeIdenticalTo(ifaces[1]))
		ports, err := lab.New().Host("observer").Handle().LinkList()
		Expect(err).NotTo(HaveOccurred())
		Expect(ports).To(HaveLen(1), "a host of another lab sees nothing of this one")
		for _, from := range hosts {
			for i, to := range hosts {
				if from != to {
					Expect(talkTCP(to, from, ifaces[i].IPv6.Addr())).To(Equal("hi from " + from.Name))
				}
			}
		}
	})

	It("adds many hosts in one call, each a namespace of its own, in the order given", func() {
		l := lab.New()
		names := []string{"h1", "h2", "h3", "h4", "h5", "h6", "h7"}
		hosts := l.AddHosts(names...)
		inos := map[uint64]bool{}
		for i, h := range hosts {
			Expect(h.Name).To(Equal(names[i]))
			Expect(l.Hosts()).To(HaveKeyWithValue(names[i], BeIdenticalTo(h)))
			inos[netns.Ino(h.Netns())] = true
		}
		Expect(inos).To(HaveLen(len(names)))
		ifaces := l.Segment("lan").Attach(hosts...)
		Expect(talkTCP(hosts[6], hosts[0], ifaces[6].IPv6.Addr())).To(Equal("hi from h1"))
		Expect(talkTCP(hosts[0], hosts[6], ifaces[0].IPv4.Addr())).To(Equal("hi from h7"))
	})

	// Each port's IPv6 link-local address would cost the kernel routes,
	// multicast reports and deferred work that grow with the ports before
	// it; a switch's ports have no addresses anyway.
	It("gives a segment's bridge and ports no IPv6 addresses", func() {
		l := lab.New()
		lan := l.Segment("lan")
		lan.Attach(l.Host("alice"), l.Host("bob"))
		h, err := netlink.NewHandleAt(vnetns.NsHandle(lan.Netns()), unix.NETLINK_ROUTE)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(h.Close)
		links, err := h.LinkList()
		Expect(err).NotTo(HaveOccurred())
		Expect(links).To(HaveLen(4), "lo, the bridge and two ports")
		addrs, err := nsops.RetryDump(func() ([]netlink.Addr, error) { return h.AddrList(nil, netlink.FAMILY_V6) })
		Expect(err).NotTo(HaveOccurred())
		for _, a := range addrs {
			Expect(a.IP.IsLoopback()).To(BeTrue(), "IPv6 address %s on link index %d of the segment's namespace", a.IPNet, a.LinkIndex)
		}
	})

	It("keeps hosts from sending router solicitations, which a segment would flood to every member", func() {
		l := lab.New()
		alice := l.Host("alice")
		lan := l.Segment("lan")
		iface := lan.Attach(alice, l.Host("bob"))[0]
		// The kernel counts what each interface sent, per ICMPv6 type.
		sent := func(counter string) func() int {
			return func() int {
				var n int
				Expect(netns.Do(alice.Netns(), func() error {
					stats, err := os.ReadFile("/proc/thread-self/net/dev_snmp6/" + iface.Link.Attrs().Name)
					if err != nil {
						return err
					}
					m := regexp.MustCompile(`(?m)^` + counter + `\s+(\d+)$`).FindSubmatch(stats)
					Expect(m).NotTo(BeNil(), "no %s in dev_snmp6", counter)
					_, err = fmt.Sscan(string(m[1]), &n)
					return err
				})).To(Succeed())
				return n
			}
		}
		// The solicitation would go out as the interface's IPv6 comes
		// up, as its multicast listener reports do.
		Eventually(sent("Icmp6OutMLDv2Reports")).Should(BeNumerically(">", 0))
		Consistently(sent("Icmp6OutRouterSolicits"), 300*time.Millisecond, 20*time.Millisecond).Should(BeZero())
	})

	It("keeps the frames a segment's bridge forwards out of its namespace's IP and ARP netfilter hooks", func() {
		lan := lab.New().Segment("lan")
		for _, knob := range []string{"arptables", "iptables", "ip6tables"} {
			var value []byte
			err := netns.Do(lan.Netns(), func() error {
				var err error
				value, err = os.ReadFile("/proc/sys/net/bridge/bridge-nf-call-" + knob)
				return err
			})
			if os.IsNotExist(err) {
				Skip("kernel has no bridge netfilter (br_netfilter not loaded): " + err.Error())
			}
			Expect(err).NotTo(HaveOccurred())
			Expect(string(value)).To(Equal("0\n"), "bridge-nf-call-%s in the segment's namespace", knob)
		}
	})

	It("routes between two subnets through a router", func() {
		l := lab.New()
		alice, router, bob := l.Host("alice"), l.Router("router"), l.Host("bob")
		_, ra := l.Connect(alice, router)
		b, rb := l.Connect(bob, router)
		alice.DefaultRoute(ra)
		bob.Route("10.0.1.0/24", rb)
		bob.Route("fd00:0:0:1::/64", rb)
		Expect(talkTCP(bob, alice, b.IPv4.Addr())).To(Equal("hi from alice"))
		Expect(talkTCP(bob, alice, b.IPv6.Addr())).To(Equal("hi from alice"))
	})

	It("closes all its namespaces at teardown", func() {
		rec := &testsupport.Recorder{}
		var fds []int
		rec.Run(func(t testing.TB) {
			l := lab.NewT(t)
			alice, bob := l.Host("alice"), l.Host("bob")
			l.Connect(alice, bob)
			l.Segment("lan").Attach(alice, bob)
			fds = []int{alice.Netns(), bob.Netns()}
		})
		Expect(rec.Failures()).To(BeEmpty())
		for _, fd := range fds {
			_, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
			Expect(err).To(MatchError(unix.EBADF))
		}
	})

	DescribeTable("refuses topologies it cannot build, naming why",
		func(build func(l *lab.Lab), reason string) {
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) { build(lab.NewT(t)) })
			Expect(rec.Failures()).To(ConsistOf(SatisfyAll(HavePrefix("cannot "), ContainSubstring(reason))))
		},
		Entry("two hosts of one name", func(l *lab.Lab) { l.Host("alice"); l.Host("alice") },
			`cannot add host "alice" to lab, reason: host names must be unique`),
		Entry("a host name no interface can carry", func(l *lab.Lab) { l.Host("a/b") },
			"interface names cannot hold"),
		Entry("one name twice in AddHosts", func(l *lab.Lab) { l.AddHosts("a", "b", "a") },
			`cannot add host "a" to lab, reason: host names must be unique`),
		Entry("a name in AddHosts that a host has", func(l *lab.Lab) { l.Host("b"); l.AddHosts("a", "b") },
			`cannot add host "b" to lab, reason: host names must be unique`),
		Entry("a wire from a host to itself", func(l *lab.Lab) { a := l.Host("a"); l.Connect(a, a) },
			"need two different hosts of this lab"),
		Entry("a bad subnet", func(l *lab.Lab) { l.Connect(l.Host("a"), l.Host("b"), lab.Subnet("10.0.0.0")) },
			`Subnet: "10.0.0.0" is not a prefix`),
		Entry("too few explicit addresses", func(l *lab.Lab) { l.Connect(l.Host("a"), l.Host("b"), lab.Addrs("10.0.0.1/24")) },
			"only 1 explicit addresses given for member 2"),
		Entry("a subnet too small", func(l *lab.Lab) { l.Segment("lan", lab.Subnet("10.0.0.0/31")).Attach(l.Host("a"), l.Host("b")) },
			"subnet 10.0.0.0/31 has no address for member 2"),
		Entry("a gateway of the wrong family", func(l *lab.Lab) {
			a, r := l.Host("a"), l.Router("r")
			_, ra := l.Connect(a, r, lab.Subnet("fd01::/64"), lab.Subnet("10.0.0.0/24"))
			ra.IPv6 = netip.Prefix{}
			a.Route("fd09::/64", ra)
		}, "the gateway interface has no address of the destination's family"),
	)
})

var _ = Describe("failure reports", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("describe every host's links, addresses and routes when a test fails", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			l := lab.NewT(t)
			alice, router := l.Host("alice"), l.Router("router")
			_, ra := l.Connect(alice, router)
			alice.DefaultRoute(ra)
			t.Errorf("something went wrong")
		})
		Expect(rec.Logs()).To(ConsistOf(SatisfyAll(
			MatchRegexp(`^scratchnet lab \(created at .*/lab/lab_test\.go:\d+\)\n`),
			ContainSubstring("host alice (network namespace net:["),
			MatchRegexp(`\d+: router \(veth\) <UP,BROADCAST,MULTICAST,RUNNING> state up mtu 1500`),
			ContainSubstring("inet 10.0.1.1/24"),
			ContainSubstring("inet6 fd00:0:0:1::2/64"),
			ContainSubstring("default via 10.0.1.2 dev router"),
			ContainSubstring("host router (network namespace net:["),
		)))
	})

	It("stay out of the log of a passing test, unless the run is verbose", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			l := lab.NewT(t)
			l.Connect(l.Host("alice"), l.Host("bob"))
		})
		if testing.Verbose() {
			Expect(rec.Logs()).To(ConsistOf(ContainSubstring("host alice")))
		} else {
			Expect(rec.Logs()).To(BeEmpty())
		}
	})

	It("shows the lab in the report of a failing spec", Label(deliberateFailure), func() {
		l := lab.New()
		l.Capture()
		alice, router, bob := l.Host("alice"), l.Router("router"), l.Host("bob")
		_, ra := l.Connect(alice, router)
		bobEnd, rb := l.Connect(bob, router)
		alice.DefaultRoute(ra)
		bob.DefaultRoute(rb)
		l.Segment("lan").Attach(alice, bob)

		// Something for each section of the report: a shaped link, a
		// listening server, neighbours, a TCP connection and pings.
		Expect(router.Handle().QdiscAdd(&netlink.Tbf{
			QdiscAttrs: netlink.QdiscAttrs{LinkIndex: rb.Link.Attrs().Index, Handle: netlink.MakeHandle(1, 0), Parent: netlink.HANDLE_ROOT},
			Rate:       1_250_000, Limit: 100_000, Buffer: netlink.Xmittime(1_250_000, 10_000)})).To(Succeed())
		rb.Note("tbf 10Mbit")
		rule := netlink.NewRule()
		rule.Priority, rule.Table, rule.Src = 100, 100, &net.IPNet{IP: net.IPv4(10, 0, 3, 0), Mask: net.CIDRMask(24, 32)}
		Expect(alice.Handle().RuleAdd(rule)).To(Succeed())
		Expect(alice.Handle().RouteAdd(&netlink.Route{Table: 100, Gw: net.IP(ra.IPv4.Addr().AsSlice()),
			Dst: &net.IPNet{IP: net.IPv4zero.To4(), Mask: net.CIDRMask(0, 32)}})).To(Succeed())
		var nft *nftables.Conn
		Expect(nsops.Do(router.Netns(), func() {
			var err error
			nft, err = nftables.New(nftables.AsLasting())
			Expect(err).NotTo(HaveOccurred())
		})).To(Succeed())
		defer nft.CloseLasting()
		filter := nft.AddTable(&nftables.Table{Family: nftables.TableFamilyINet, Name: "filter"})
		accept := nftables.ChainPolicyAccept
		forward := nft.AddChain(&nftables.Chain{Name: "forward", Table: filter, Type: nftables.ChainTypeFilter,
			Hooknum: nftables.ChainHookForward, Priority: nftables.ChainPriorityFilter, Policy: &accept})
		nft.AddRule(&nftables.Rule{Table: filter, Chain: forward, Exprs: []expr.Any{&expr.Counter{}}})
		Expect(nft.Flush()).To(Succeed())
		var ln net.Listener
		bob.Execute(func() {
			var err error
			ln, err = net.Listen("tcp", netip.AddrPortFrom(bobEnd.IPv4.Addr(), 8080).String())
			Expect(err).NotTo(HaveOccurred())
		})
		DeferCleanup(ln.Close)
		testsupport.Ping(alice.Netns(), bobEnd.IPv4.Addr(), 1, 1, []byte("ping"))
		testsupport.Ping(alice.Netns(), bobEnd.IPv6.Addr(), 1, 2, []byte("ping"))
		alice.Execute(func() {
			c, err := net.Dial("tcp", ln.Addr().String())
			Expect(err).NotTo(HaveOccurred())
			Expect(c.Close()).To(Succeed())
		})
		Fail("deliberate failure: the report below shows the lab's diagram, then each host and segment with its captures")
	})
})

var _ = Describe("names in labs", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("cut long host names to interface names, on wires and on segments alike", func() {
		l := lab.New()
		long, other := l.Host("averyveryverylonghostname"), l.Host("averyveryverylonghostname2")
		_, toLong := l.Connect(other, long)
		Expect(toLong.Name()).To(Equal("averyveryverylo"))
		lan := l.Segment("lan")
		lan.Attach(long, other)
		ports, err := netns.NewNetlinkHandle(lan.Netns()).LinkList()
		Expect(err).NotTo(HaveOccurred())
		var names []string
		for _, p := range ports {
			names = append(names, p.Attrs().Name)
		}
		Expect(names).To(ConsistOf("lo", "lan", "averyveryverylo", "averyveryveryl1"))
	})
})
