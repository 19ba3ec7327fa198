package diag_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"slices"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/bridge"
	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/diag"
	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/lab"
)

// describe renders the report of one namespace.
func describe(name string, nsfd int) string {
	return diag.Render([]diag.Target{{Name: name, NsFd: nsfd}})
}

// section returns the lines of one section of a report, or "".
func section(report, title string) string {
	m := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(title) + `:\n((?:    .*\n)*)`).FindStringSubmatch(report)
	if m == nil {
		return ""
	}
	return m[1]
}

// skipUnlessNftables skips the spec when err says the kernel has no
// nfnetlink (EPROTONOSUPPORT) or no nf_tables (EOPNOTSUPP), and fails it
// on any other error.
func skipUnlessNftables(err error) {
	GinkgoHelper()
	if errors.Is(err, unix.EPROTONOSUPPORT) || errors.Is(err, unix.EOPNOTSUPP) {
		Skip(fmt.Sprintf("kernel does not support nf_tables (nfnetlink, nf_tables): %v", err))
	}
	Expect(err).NotTo(HaveOccurred())
}

var _ = Describe("namespace reports", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	var (
		l          *lab.Lab
		alice, bob *lab.Host
		a, b       *lab.Iface
	)
	BeforeEach(func() {
		l = lab.New()
		alice, bob = l.Host("alice"), l.Host("bob")
		a, b = l.Connect(alice, bob)
	})

	It("list neighbours with their link-layer address and state", func() {
		testsupport.Ping(alice.Netns(), b.IPv4.Addr(), 1, 1, []byte("neigh"))
		testsupport.Ping(alice.Netns(), b.IPv6.Addr(), 1, 2, []byte("neigh"))
		Expect(alice.Handle().NeighAdd(&netlink.Neigh{LinkIndex: a.Link.Attrs().Index, Family: netlink.FAMILY_V4,
			State: netlink.NUD_PERMANENT, IP: net.ParseIP("10.0.1.99"), HardwareAddr: net.HardwareAddr{2, 0, 0, 0, 0, 0x99}})).To(Succeed())
		neighs := section(describe("host alice", alice.Netns()), "neighbours")
		mac := b.Link.Attrs().HardwareAddr.String()
		Expect(neighs).To(ContainSubstring("    10.0.1.2 dev bob lladdr " + mac + " REACHABLE\n"))
		Expect(neighs).To(ContainSubstring("    fd00:0:0:1::2 dev bob lladdr " + mac + " REACHABLE\n"))
		Expect(neighs).To(ContainSubstring("    10.0.1.99 dev bob lladdr 02:00:00:00:00:99 PERMANENT\n"))
	})

	It("list policy rules besides the defaults, and routes of other tables with their table", func() {
		_, src, _ := net.ParseCIDR("10.7.0.0/16")
		rule := netlink.NewRule()
		rule.Priority, rule.Src, rule.Table = 1000, src, 100
		Expect(alice.Handle().RuleAdd(rule)).To(Succeed())
		Expect(alice.Handle().RouteAdd(&netlink.Route{Table: 100, Gw: net.IP(b.IPv4.Addr().AsSlice()),
			Dst: &net.IPNet{IP: net.IPv4zero.To4(), Mask: net.CIDRMask(0, 32)}})).To(Succeed())
		report := describe("host alice", alice.Netns())
		Expect(section(report, "policy rules (besides the defaults)")).To(
			Equal("    inet 1000: from 10.7.0.0/16 lookup 100\n"))
		Expect(section(report, "routes")).To(ContainSubstring("    default via 10.0.1.2 dev bob table 100\n"))
	})

	It("list qdiscs with their parameters, and htb classes", func() {
		hd := alice.Handle()
		tbf := &netlink.Tbf{QdiscAttrs: netlink.QdiscAttrs{LinkIndex: a.Link.Attrs().Index, Handle: netlink.MakeHandle(1, 0), Parent: netlink.HANDLE_ROOT},
			Rate: 125000, Limit: 12500, Buffer: netlink.Xmittime(125000, 3000)}
		if err := hd.QdiscAdd(tbf); errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EOPNOTSUPP) {
			Skip(fmt.Sprintf("kernel does not support qdisc tbf (sch_tbf): %v", err))
		} else {
			Expect(err).NotTo(HaveOccurred())
		}
		htb := netlink.NewHtb(netlink.QdiscAttrs{LinkIndex: b.Link.Attrs().Index, Handle: netlink.MakeHandle(1, 0), Parent: netlink.HANDLE_ROOT})
		htb.Defcls = 0x10
		if err := bob.Handle().QdiscAdd(htb); errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EOPNOTSUPP) {
			Skip(fmt.Sprintf("kernel does not support qdisc htb (sch_htb): %v", err))
		} else {
			Expect(err).NotTo(HaveOccurred())
		}
		class := netlink.NewHtbClass(netlink.ClassAttrs{LinkIndex: b.Link.Attrs().Index, Parent: netlink.MakeHandle(1, 0), Handle: netlink.MakeHandle(1, 0x10)},
			netlink.HtbClassAttrs{Rate: 2_000_000, Ceil: 4_000_000})
		Expect(bob.Handle().ClassAdd(class)).To(Succeed())

		Expect(section(describe("host alice", alice.Netns()), "qdiscs")).To(
			Equal("    dev bob root tbf 1:0 rate 1Mbit burst 3000b limit 12500b\n"))
		Expect(section(describe("host bob", bob.Netns()), "qdiscs")).To(Equal(
			"    dev alice root htb 1:0 default 0x10 r2q 10\n" +
				"      class htb 1:10 parent root rate 2Mbit ceil 4Mbit\n"))
	})

	It("summarise nftables tables and chains", func() {
		var conn *nftables.Conn
		var err error
		Expect(nsops.Do(alice.Netns(), func() { conn, err = nftables.New(nftables.AsLasting()) })).To(Succeed())
		skipUnlessNftables(err)
		defer conn.CloseLasting()
		table := conn.AddTable(&nftables.Table{Family: nftables.TableFamilyINet, Name: "scratchnet"})
		drop := nftables.ChainPolicyDrop
		chain := conn.AddChain(&nftables.Chain{Name: "forward", Table: table, Type: nftables.ChainTypeFilter,
			Hooknum: nftables.ChainHookForward, Priority: nftables.ChainPriorityFilter, Policy: &drop})
		conn.AddChain(&nftables.Chain{Name: "helper", Table: table})
		conn.AddRule(&nftables.Rule{Table: table, Chain: chain, Exprs: []expr.Any{&expr.Counter{}}})
		skipUnlessNftables(conn.Flush())
		Expect(section(describe("host alice", alice.Netns()), "nftables")).To(Equal(
			"    table inet scratchnet\n" +
				"      chain forward (type filter hook forward priority 0 policy drop), 1 rules\n" +
				"      chain helper, 0 rules\n"))
		Expect(section(describe("host bob", bob.Netns()), "nftables")).To(BeEmpty())
	})

	It("show the sysctls that most often explain failures, for all, default and each link", func() {
		r := l.Router("router")
		l.Connect(r, bob)
		Expect(nsops.Do(r.Netns(), func() {
			Expect(os.WriteFile("/proc/sys/net/ipv4/conf/bob/rp_filter", []byte("2"), 0)).To(Succeed())
		})).To(Succeed())
		sysctls := section(describe("host router", r.Netns()), "sysctls")
		Expect(sysctls).To(MatchRegexp(`(?m)^    all: +ipv4 forwarding=1 rp_filter=\d  ipv6 forwarding=1 accept_dad=0 disable_ipv6=0$`))
		Expect(sysctls).To(MatchRegexp(`(?m)^    default: +ipv4 forwarding=1 `))
		Expect(sysctls).To(MatchRegexp(`(?m)^    bob: +ipv4 forwarding=1 rp_filter=2  ipv6 forwarding=1 accept_dad=0 disable_ipv6=0$`))
		Expect(section(describe("host alice", alice.Netns()), "sysctls")).To(MatchRegexp(`(?m)^    bob: +ipv4 forwarding=0 `))
	})

	It("count packets, bytes, drops and errors per link", func() {
		for seq := range 3 {
			testsupport.Ping(alice.Netns(), b.IPv4.Addr(), 2, seq, []byte("count"))
		}
		Expect(section(describe("host alice", alice.Netns()), "counters")).To(MatchRegexp(
			`(?m)^    bob: +rx ([3-9]|\d\d+) packets \d+ bytes 0 dropped 0 errors, tx ([3-9]|\d\d+) packets \d+ bytes 0 dropped 0 errors$`))
	})

	It("list the bridge's forwarding database, learned and permanent entries", func() {
		lan := l.Segment("lan")
		ifaces := lan.Attach(alice, bob)
		testsupport.Ping(alice.Netns(), ifaces[1].IPv4.Addr(), 3, 1, []byte("fdb"))
		fdb := section(describe("segment lan", lan.Netns()), "bridge fdb")
		Expect(fdb).To(ContainSubstring(fmt.Sprintf("    %s dev alice master lan", ifaces[0].Link.Attrs().HardwareAddr)))
		Expect(fdb).To(ContainSubstring(fmt.Sprintf("    %s dev bob master lan", ifaces[1].Link.Attrs().HardwareAddr)))
		Expect(fdb).To(MatchRegexp(`(?m) dev alice master lan( vlan 1)? permanent$`))
		Expect(section(describe("host alice", alice.Netns()), "bridge fdb")).To(BeEmpty())
	})

	It("list the VLANs of bridge ports", func() {
		bridge.SkipUnlessVlanFiltering()
		lan := l.Segment("lan")
		lan.Attach(alice, bob)
		Expect(section(describe("segment lan", lan.Netns()), "bridge vlans")).To(SatisfyAll(
			ContainSubstring("    alice: 1 pvid untagged\n"),
			ContainSubstring("    bob: 1 pvid untagged\n")))
	})

	It("list listening TCP sockets and unconnected UDP sockets", func() {
		var probeErr error
		Expect(nsops.Do(alice.Netns(), func() { _, probeErr = netlink.SocketDiagTCP(unix.AF_INET) })).To(Succeed())
		if errors.Is(probeErr, unix.ENOENT) || errors.Is(probeErr, unix.EPROTONOSUPPORT) {
			Skip(fmt.Sprintf("kernel does not support sock_diag for TCP (inet_diag, tcp_diag): %v", probeErr))
		}
		var ln net.Listener
		var pc net.PacketConn
		alice.Execute(func() {
			var err error
			ln, err = net.Listen("tcp", a.IPv4.Addr().String()+":0")
			Expect(err).NotTo(HaveOccurred())
			pc, err = net.ListenPacket("udp", "["+a.IPv6.Addr().String()+"]:0")
			Expect(err).NotTo(HaveOccurred())
		})
		defer ln.Close()
		defer pc.Close()
		sockets := section(describe("host alice", alice.Netns()), "listening sockets")
		Expect(sockets).To(MatchRegexp(`(?m)^    tcp %s uid \d+ inode \d+$`, regexp.QuoteMeta(ln.Addr().String())))
		Expect(sockets).To(MatchRegexp(`(?m)^    udp %s uid \d+ inode \d+$`, regexp.QuoteMeta(pc.LocalAddr().String())))
		Expect(section(describe("host bob", bob.Netns()), "listening sockets")).To(BeEmpty())
	})

	It("bound each section, saying how many lines were left out", func() {
		for i := range 50 {
			Expect(alice.Handle().NeighAdd(&netlink.Neigh{LinkIndex: a.Link.Attrs().Index, Family: netlink.FAMILY_V4,
				State: netlink.NUD_PERMANENT, IP: net.IPv4(10, 0, 1, byte(100+i)), HardwareAddr: net.HardwareAddr{2, 0, 0, 0, 1, byte(i)}})).To(Succeed())
		}
		neighs := section(describe("host alice", alice.Netns()), "neighbours")
		Expect(regexp.MustCompile(`\n`).FindAllString(neighs, -1)).To(HaveLen(40))
		Expect(neighs).To(HaveSuffix("    ... and 11 more\n"))
	})

	It("show a target's text as it is, as a lab's diagram", func() {
		Expect(diag.Render([]diag.Target{{Text: "topology\n  hosts: a\n"}})).To(Equal("topology\n  hosts: a\n"))
	})
})

var _ = Describe("natural order", func() {
	It("puts h2 before h10 and 10.0.1.9 before 10.0.1.10, and is total", func() {
		names := []string{"h10", "h2", "lan", "h1", "10.0.1.10 dev a", "10.0.1.9 dev a", "h02", "h"}
		slices.SortFunc(names, diag.NaturalCompare)
		Expect(names).To(Equal([]string{"10.0.1.9 dev a", "10.0.1.10 dev a", "h", "h1", "h02", "h2", "h10", "lan"}))
	})
})

var _ = Describe("namespace reports that leave links out", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("describe only the named links, and count the rest and the section lines about them", func() {
		l := lab.New()
		lan := l.Segment("lan")
		lan.Attach(l.Host("alice"), l.Host("bob"), l.Host("carol"))
		report := diag.Render([]diag.Target{{Name: "segment lan", NsFd: lan.Netns(), Links: []string{"lo", "lan", "alice"}}})
		Expect(report).To(MatchRegexp(`\n  \d+: alice \(veth\)`))
		Expect(report).NotTo(MatchRegexp(`\bbob\b|\bcarol\b`))
		Expect(report).To(ContainSubstring("\n  ... and 2 more links\n"))
		Expect(section(report, "counters")).To(MatchRegexp(`^    lo: .*\n    lan: .*\n    alice: .*\n    \.\.\. and 2 more about links not described\n$`))
	})
})
