package snapshot_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/lab"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/snapshot"
)

// handleAt opens a NETLINK_ROUTE handle in the namespace, closed at cleanup.
func handleAt(ns int) *netlink.Handle {
	GinkgoHelper()
	h, err := netlink.NewHandleAt(vnetns.NsHandle(ns), unix.NETLINK_ROUTE)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(h.Close)
	return h
}

// writeSysctl writes a value under /proc/sys/net in the namespace.
func writeSysctl(ns int, path, value string) {
	GinkgoHelper()
	netns.Execute(ns, func() {
		Expect(os.WriteFile("/proc/sys/net/"+path, []byte(value), 0)).To(Succeed())
	})
}

// readSysctl reads a value under /proc/sys/net in the namespace.
func readSysctl(ns int, path string) string {
	GinkgoHelper()
	var b []byte
	netns.Execute(ns, func() {
		var err error
		b, err = os.ReadFile("/proc/sys/net/" + path)
		Expect(err).NotTo(HaveOccurred())
	})
	return strings.TrimSpace(string(b))
}

func cidr(s string) *net.IPNet {
	GinkgoHelper()
	_, n, err := net.ParseCIDR(s)
	Expect(err).NotTo(HaveOccurred())
	return n
}

// nftConn opens an nftables connection in the namespace, skipping the
// spec on a kernel without nfnetlink or nf_tables.
func nftConn(ns int) *nftables.Conn {
	GinkgoHelper()
	var conn *nftables.Conn
	var err error
	netns.Execute(ns, func() { conn, err = nftables.New(nftables.AsLasting()) })
	skipUnlessNftables(err)
	DeferCleanup(conn.CloseLasting)
	return conn
}

func skipUnlessNftables(err error) {
	GinkgoHelper()
	if errors.Is(err, unix.EPROTONOSUPPORT) || errors.Is(err, unix.EOPNOTSUPP) {
		Skip(fmt.Sprintf("kernel does not support nf_tables (nfnetlink, nf_tables): %v", err))
	}
	Expect(err).NotTo(HaveOccurred())
}

var _ = Describe("snapshots", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	var (
		ns int
		h  *netlink.Handle
	)
	BeforeEach(func() {
		ns = netns.NewTransient()
		h = handleAt(ns)
	})

	It("show each change of a sequence as exactly one diff line, and the undoing of all as none", func() {
		start := snapshot.Take(ns)
		prev := start
		step := func(change func(), line string) {
			GinkgoHelper()
			change()
			Expect(ns).To(snapshot.HaveChangedSince(prev, line))
			prev = snapshot.Take(ns)
		}
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br0"}}
		step(func() { Expect(h.LinkAdd(br)).To(Succeed()) }, "+ link br0 bridge state down mtu 1500")
		step(func() { Expect(h.LinkSetUp(br)).To(Succeed()) }, "~ link br0 state down -> up")
		step(func() { Expect(h.LinkSetMTU(br, 1400)).To(Succeed()) }, "~ link br0 mtu 1500 -> 1400")
		addr := &netlink.Addr{IPNet: &net.IPNet{IP: net.ParseIP("10.0.1.2"), Mask: net.CIDRMask(24, 32)}}
		step(func() { Expect(h.AddrAdd(br, addr)).To(Succeed()) }, "+ address 10.0.1.2/24 dev br0")
		route := &netlink.Route{Dst: cidr("10.0.0.0/24"), Gw: net.ParseIP("10.0.1.1"), LinkIndex: br.Index}
		step(func() { Expect(h.RouteAdd(route)).To(Succeed()) }, "+ route 10.0.0.0/24 via 10.0.1.1 dev br0 table main")
		rule := netlink.NewRule()
		rule.Priority, rule.Src, rule.Table = 100, cidr("10.1.0.0/16"), 42
		step(func() { Expect(h.RuleAdd(rule)).To(Succeed()) }, "+ rule 100: from 10.1.0.0/16 lookup 42")
		neigh := &netlink.Neigh{LinkIndex: br.Index, Family: netlink.FAMILY_V4, State: netlink.NUD_PERMANENT,
			IP: net.ParseIP("10.0.1.9"), HardwareAddr: net.HardwareAddr{2, 0, 0, 0, 0, 9}}
		step(func() { Expect(h.NeighAdd(neigh)).To(Succeed()) }, "+ neighbour 10.0.1.9 dev br0 lladdr 02:00:00:00:00:09")
		// A new namespace inherits IPv4 forwarding from the host's: flip it.
		was := readSysctl(ns, "ipv4/ip_forward")
		flipped := map[string]string{"0": "1", "1": "0"}[was]
		step(func() { writeSysctl(ns, "ipv4/ip_forward", flipped) }, "~ sysctl net.ipv4.ip_forward = "+was+" -> "+flipped)

		By("undoing each change, last first")
		writeSysctl(ns, "ipv4/ip_forward", was)
		Expect(h.NeighDel(neigh)).To(Succeed())
		Expect(h.RuleDel(rule)).To(Succeed())
		Expect(h.RouteDel(route)).To(Succeed())
		Expect(h.AddrDel(br, addr)).To(Succeed())
		Expect(h.LinkSetMTU(br, 1500)).To(Succeed())
		Expect(h.LinkSetDown(br)).To(Succeed())
		Expect(h.LinkDel(br)).To(Succeed())
		Expect(ns).To(snapshot.BeUnchangedSince(start))
	})

	It("show an nftables table, chain and rule as one line each, and their removal as none", func() {
		conn := nftConn(ns)
		start := snapshot.Take(ns)
		table := conn.AddTable(&nftables.Table{Family: nftables.TableFamilyINet, Name: "snap"})
		skipUnlessNftables(conn.Flush())
		Expect(ns).To(snapshot.HaveChangedSince(start, "+ nft table inet snap"))
		withTable := snapshot.Take(ns)
		drop := nftables.ChainPolicyDrop
		chain := conn.AddChain(&nftables.Chain{Name: "input", Table: table, Type: nftables.ChainTypeFilter,
			Hooknum: nftables.ChainHookInput, Priority: nftables.ChainPriorityFilter, Policy: &drop})
		conn.AddRule(&nftables.Rule{Table: table, Chain: chain, Exprs: []expr.Any{&expr.Counter{}, &expr.Verdict{Kind: expr.VerdictAccept}}})
		Expect(conn.Flush()).To(Succeed())
		Expect(ns).To(snapshot.HaveChangedSince(withTable,
			"+ nft chain inet snap input type filter hook input priority 0 policy drop",
			"+ nft rule inet snap input: counter accept"))
		conn.DelTable(table)
		Expect(conn.Flush()).To(Succeed())
		Expect(ns).To(snapshot.BeUnchangedSince(start))
	})

	It("say in the failure message what changed, as a diff", func() {
		before := snapshot.Take(ns, snapshot.Only(snapshot.Links))
		lo, err := h.LinkByName("lo")
		Expect(err).NotTo(HaveOccurred())
		Expect(h.LinkSetMTU(lo, 1500)).To(Succeed())
		m := snapshot.BeUnchangedSince(before)
		Expect(m.Match(ns)).To(BeFalse())
		Expect(m.FailureMessage(ns)).To(Equal("expected the network namespace unchanged since the snapshot, but it changed:\n" +
			"    ~ link lo mtu 65536 -> 1500\n"))
		m = snapshot.HaveChangedSince(before, "~ link lo mtu 65536 -> 9000", "~ link lo mtu 65536 -> 1500")
		Expect(m.Match(ns)).To(BeFalse())
		Expect(m.FailureMessage(ns)).To(Equal("expected the network namespace changed in just the listed ways since the snapshot, but\n" +
			"these changes are missing:\n    ~ link lo mtu 65536 -> 9000\n" +
			"the whole diff:\n    ~ link lo mtu 65536 -> 1500\n"))
	})

	It("contain what a namespace holds, matching transient names by prefix", func() {
		for _, name := range []string{"tmp-a8f3", "tmp-91c0"} {
			Expect(h.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name}})).To(Succeed())
		}
		Expect(h.RouteAdd(&netlink.Route{Dst: cidr("10.9.0.0/16"), Type: unix.RTN_BLACKHOLE})).To(Succeed())
		s := snapshot.Take(ns, snapshot.TransientNames("tmp-"), snapshot.Only(snapshot.Links, snapshot.Routes))
		Expect(s).To(snapshot.ContainItems("link tmp-*1 bridge state down mtu 1500", "link tmp-*2 bridge state down mtu 1500",
			"route blackhole 10.9.0.0/16 table main"))
		Expect(s.Lines()).NotTo(ContainElement(ContainSubstring("a8f3")))
		m := snapshot.ContainItems("link tmp-*3 bridge state down mtu 1500")
		Expect(m.Match(s)).To(BeFalse())
		Expect(m.FailureMessage(s)).To(HavePrefix("expected the snapshot to contain:\n    link tmp-*3 bridge state down mtu 1500\nbut it holds:\n    link lo loopback"))
	})

	It("mark the kernel's own routes and rules, and leave them out unless asked", func() {
		lo, err := h.LinkByName("lo")
		Expect(err).NotTo(HaveOccurred())
		Expect(h.LinkSetUp(lo)).To(Succeed())
		Expect(snapshot.Take(ns, snapshot.Only(snapshot.Routes, snapshot.Rules)).Lines()).To(BeEmpty())
		Expect(snapshot.Take(ns, snapshot.Only(snapshot.Routes, snapshot.Rules), snapshot.KeepKernelItems()).Lines()).To(ContainElements(
			"route local 127.0.0.1 dev lo src 127.0.0.1 table local proto kernel (kernel)",
			"rule 32766: from all lookup main (kernel)"))
	})

	It("take a namespace by its fd, its path or a lab host", func() {
		Expect(h.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br0"}})).To(Succeed())
		byFd := snapshot.Take(ns)
		Expect(byFd).To(snapshot.ContainItems("link br0 bridge state down mtu 1500"))
		Expect(snapshot.Take(netns.Path(ns)).Lines()).To(Equal(byFd.Lines()))
		Expect(snapshot.Take(vnetns.NsHandle(ns)).Lines()).To(Equal(byFd.Lines()))
		alice := lab.New().Host("alice")
		Expect(alice).To(snapshot.ContainItems("link lo loopback state up mtu 65536"))
	})

	It("refuse what names no namespace, and options that make no sense, naming them", func() {
		_, err := snapshot.Collect(3.5)
		Expect(err).To(MatchError(ContainSubstring("float64 is not a namespace fd")))
		_, err = snapshot.Collect(ns, snapshot.Only("links"))
		Expect(err).To(MatchError(`cannot apply option Only for section "links", reason: there is no such section`))
		_, err = snapshot.Collect(ns, snapshot.WithSysctls("kernel.hostname"))
		Expect(err).To(MatchError(ContainSubstring("cannot apply option WithSysctls for sysctl \"kernel.hostname\"")))
	})
})

var _ = Describe("golden files", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	var (
		ns int
		h  *netlink.Handle
		br *netlink.Bridge
	)
	// build makes the state the golden files hold: lo up, a bridge with
	// an address, a route and a rule.
	BeforeEach(func() {
		ns = netns.NewTransient()
		h = handleAt(ns)
		lo, err := h.LinkByName("lo")
		Expect(err).NotTo(HaveOccurred())
		Expect(h.LinkSetUp(lo)).To(Succeed())
		br = &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br0"}}
		Expect(h.LinkAdd(br)).To(Succeed())
		Expect(h.LinkSetUp(br)).To(Succeed())
		Expect(h.AddrAdd(br, &netlink.Addr{IPNet: &net.IPNet{IP: net.ParseIP("10.0.1.2"), Mask: net.CIDRMask(24, 32)}})).To(Succeed())
		Expect(h.RouteAdd(&netlink.Route{Dst: cidr("10.0.0.0/24"), Gw: net.ParseIP("10.0.1.1"), LinkIndex: br.Index})).To(Succeed())
		rule := netlink.NewRule()
		rule.Priority, rule.Src, rule.Table = 100, cidr("10.1.0.0/16"), 42
		Expect(h.RuleAdd(rule)).To(Succeed())
	})

	// Sysctl defaults differ between kernels and hosts: golden snapshots
	// leave them out.
	take := func() *snapshot.Snapshot { return snapshot.Take(ns, snapshot.Without(snapshot.Sysctls)) }

	It("pass when the namespace holds what the file says", func() {
		Expect(take()).To(snapshot.MatchGolden("testdata/bridge.golden"))
	})

	It("fail with a readable diff after a change", func() {
		Expect(h.LinkSetMTU(br, 1400)).To(Succeed())
		s := take()
		m := snapshot.MatchGolden("testdata/bridge.golden")
		Expect(m.Match(s)).To(BeFalse())
		Expect(m.FailureMessage(s)).To(Equal("expected the text of golden file testdata/bridge.golden, but it differs (run with SCRATCHNET_UPDATE_GOLDEN=1 to accept it):\n" +
			"    - link br0 bridge state up mtu 1500\n" +
			"    + link br0 bridge state up mtu 1400\n"))
	})

	It("compare a diff as well", func() {
		before := take()
		Expect(h.LinkSetMTU(br, 1400)).To(Succeed())
		Expect(h.RouteAdd(&netlink.Route{Dst: cidr("10.2.0.0/16"), Gw: net.ParseIP("10.0.1.1"), LinkIndex: br.Index, Table: 42})).To(Succeed())
		Expect(snapshot.Compare(before, take())).To(snapshot.MatchGolden("testdata/mtu-and-route.diff.golden"))
	})

	It("are rewritten when SCRATCHNET_UPDATE_GOLDEN=1", func() {
		golden, err := os.ReadFile("testdata/bridge.golden")
		Expect(err).NotTo(HaveOccurred())
		path := filepath.Join(GinkgoT().TempDir(), "testdata", "bridge.golden")
		Expect(os.MkdirAll(filepath.Dir(path), 0o755)).To(Succeed())
		Expect(os.WriteFile(path, golden, 0o644)).To(Succeed())
		Expect(h.LinkSetMTU(br, 1400)).To(Succeed())
		Expect(take()).NotTo(snapshot.MatchGolden(path))

		GinkgoT().Setenv(snapshot.UpdateGoldenEnv, "1")
		Expect(take()).To(snapshot.MatchGolden(path))
		rewritten, err := os.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(rewritten)).To(Equal(take().String()))
		Expect(string(rewritten)).To(ContainSubstring("link br0 bridge state up mtu 1400\n"))

		GinkgoT().Setenv(snapshot.UpdateGoldenEnv, "")
		Expect(take()).To(snapshot.MatchGolden(path))
	})
})
