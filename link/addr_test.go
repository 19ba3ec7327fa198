package link_test

import (
	"net"
	"net/netip"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

// addrsOf lists the global addresses of the link with the given index in the
// namespace nsfd refers to, in CIDR notation.
func addrsOf(nsfd, index int) []string {
	GinkgoHelper()
	h := netns.NewNetlinkHandle(nsfd)
	l, err := h.LinkByIndex(index)
	Expect(err).NotTo(HaveOccurred())
	addrs, err := h.AddrList(l, netlink.FAMILY_ALL)
	Expect(err).NotTo(HaveOccurred())
	var cidrs []string
	for _, a := range addrs {
		if a.Scope == unix.RT_SCOPE_UNIVERSE {
			cidrs = append(cidrs, a.IPNet.String())
		}
	}
	return cidrs
}

// exchange sends a UDP datagram from the client namespace to a listener on
// addr in the server namespace and returns what arrived.
func exchange(serverNs, clientNs int, addr string) string {
	GinkgoHelper()
	var conn net.PacketConn
	netns.Execute(serverNs, func() {
		var err error
		conn, err = net.ListenPacket("udp", net.JoinHostPort(addr, "0"))
		Expect(err).NotTo(HaveOccurred())
	})
	defer conn.Close()
	netns.Execute(clientNs, func() {
		c, err := net.Dial("udp", conn.LocalAddr().String())
		Expect(err).NotTo(HaveOccurred())
		defer c.Close()
		_, err = c.Write([]byte("hello " + addr))
		Expect(err).NotTo(HaveOccurred())
	})
	buf := make([]byte, 64)
	n, _, err := conn.ReadFrom(buf)
	Expect(err).NotTo(HaveOccurred())
	return string(buf[:n])
}

var _ = Describe("the solicited-node group an IPv6 address joins", func() {
	It("is ff02::1:ff00:0/104 with the address's last 24 bits", func() {
		for addr, group := range map[string]string{
			"fd00::1":                   "ff02::1:ff00:1",
			"fe80::98aa:3bff:fe9a:fc91": "ff02::1:ff9a:fc91",
			"2001:db8::ab:cdef":         "ff02::1:ffab:cdef",
		} {
			Expect(link.SolicitedNode(netip.MustParseAddr(addr))).To(Equal(netip.MustParseAddr(group)), addr)
		}
	})
})

var _ = Describe("addresses", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("gives both ends of a veth pair usable IPv4 and IPv6 addresses at once", func() {
		left, right := netns.NewTransient(), netns.NewTransient()
		dupond, dupont := veth.NewTransient(
			veth.InNamespace(left), veth.WithPeerNamespace(right),
			veth.WithAddress("10.0.0.1/24"), veth.WithAddress("fd00::1/64"), veth.WithUp(),
			veth.WithPeerAddress("10.0.0.2/24"), veth.WithPeerAddress("fd00::2/64"), veth.WithPeerUp())
		Expect(addrsOf(left, dupond.Attrs().Index)).To(ConsistOf("10.0.0.1/24", "fd00::1/64"))
		Expect(addrsOf(right, dupont.Attrs().Index)).To(ConsistOf("10.0.0.2/24", "fd00::2/64"))
		By("sending over IPv4 and, without waiting for duplicate address detection, IPv6")
		Expect(exchange(left, right, "10.0.0.1")).To(Equal("hello 10.0.0.1"))
		Expect(exchange(right, left, "fd00::2")).To(Equal("hello fd00::2"))
	})

	It("adds an address to an existing link and removes it at cleanup", func() {
		ns := netns.NewTransient()
		br := link.NewTransient(&netlink.Bridge{}, "br-", link.InNamespace(ns))
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			link.AddAddressT(t, br, "192.0.2.1/24")
			Expect(addrsOf(ns, br.Attrs().Index)).To(ConsistOf("192.0.2.1/24"))
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(addrsOf(ns, br.Attrs().Index)).To(BeEmpty())
	})

	It("is quiet at cleanup when the link went away with its address", func() {
		ns := netns.NewTransient()
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			br := link.NewTransientT(t, &netlink.Bridge{}, "br-", link.InNamespace(ns))
			link.AddAddressT(t, br, "fd00:1::1/64")
		})
		Expect(rec.Failures()).To(BeEmpty())
	})

	DescribeTable("refuses addresses it cannot use",
		func(call func(t testing.TB, ns int), reason string) {
			ns := netns.NewTransient()
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) { call(t, ns) })
			Expect(rec.Failures()).To(ConsistOf(SatisfyAll(HavePrefix("cannot "), ContainSubstring(reason))))
			Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo"))
		},
		Entry("no prefix length", func(t testing.TB, ns int) {
			link.NewTransientT(t, &netlink.Bridge{}, "br-", link.InNamespace(ns), link.WithAddress("10.0.0.1"))
		}, `"10.0.0.1" is not an address with prefix length`),
		Entry("not an address", func(t testing.TB, ns int) {
			veth.NewTransientT(t, veth.InNamespace(ns), veth.WithPeerAddress("fd00::zz/64"))
		}, `WithPeerAddress("fd00::zz/64"): "fd00::zz/64" is not an address`),
		Entry("a peer option for a kind without peer", func(t testing.TB, ns int) {
			link.NewTransientT(t, &netlink.Bridge{}, "br-", link.InNamespace(ns), veth.WithPeerUp())
		}, "WithPeerUp(): applies to *netlink.Veth links, not to *netlink.Bridge"),
	)
})

var _ = Describe("links left to their namespace", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("are not deleted explicitly at cleanup", func() {
		ns := netns.NewTransient()
		rec := &testsupport.Recorder{}
		var name string
		rec.Run(func(t testing.TB) {
			name = link.NewTransientT(t, &netlink.Bridge{}, "br-", link.InNamespace(ns), link.GoesWithNamespace()).Attrs().Name
		})
		Expect(rec.Failures()).To(BeEmpty())
		// ns is still open here, so the link is still there; it goes when
		// this spec's cleanup closes ns.
		Expect(testsupport.LinkNames(ns)).To(ContainElement(name))
	})
})
