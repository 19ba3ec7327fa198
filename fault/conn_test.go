package fault_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/nftables"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/fault"
	"github.com/scratchnet/scratchnet/firewall"
	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/impair"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/lab"
)

// pair is a client and a server joined by a wire.
type pair struct {
	client, server *lab.Host
	// addr is the server's IPv4 address on the wire.
	addr netip.Addr
}

func newPair() pair {
	GinkgoHelper()
	l := lab.New()
	p := pair{client: l.Host("client"), server: l.Host("server")}
	_, si := l.Connect(p.client, p.server)
	p.addr = si.IPv4.Addr()
	return p
}

func (p pair) at(port uint16) string { return netip.AddrPortFrom(p.addr, port).String() }

// serve accepts connections on the server's port and hands each to handle,
// on a goroutine of its own.
func (p pair) serve(port uint16, handle func(net.Conn)) {
	GinkgoHelper()
	ln := p.server.Listen("tcp", p.at(port))
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				handle(conn)
			}()
		}
	}()
}

// state describes what a connection fault could leave behind in the
// host's namespace: its nftables tables with their chains and rules, its
// links' queueing disciplines and filters, and connection tracking's byte
// counting switch.
func state(h *lab.Host) []string {
	GinkgoHelper()
	c, err := nftables.New(nftables.WithNetNSFd(h.Netns()))
	Expect(err).NotTo(HaveOccurred())
	tables, err := c.ListTables()
	Expect(err).NotTo(HaveOccurred())
	var out []string
	for _, t := range tables {
		chains, err := c.ListChainsOfTableFamily(t.Family)
		Expect(err).NotTo(HaveOccurred())
		for _, ch := range chains {
			if ch.Table.Name != t.Name {
				continue
			}
			rules, err := c.GetRules(t, ch)
			Expect(err).NotTo(HaveOccurred())
			out = append(out, fmt.Sprintf("table %s chain %s: %d rules", t.Name, ch.Name, len(rules)))
		}
	}
	out = append(out, testsupport.NetState(h.Netns())...)
	for _, l := range h.Ifaces() {
		filters, err := h.Handle().FilterList(l.Link, 0)
		Expect(err).NotTo(HaveOccurred())
		out = append(out, fmt.Sprintf("%d filters on %s", len(filters), l.Name()))
	}
	return append(out, "nf_conntrack_acct "+acct(h))
}

func acct(h *lab.Host) string {
	GinkgoHelper()
	var v []byte
	h.Execute(func() {
		var err error
		v, err = os.ReadFile("/proc/sys/net/netfilter/nf_conntrack_acct")
		if errors.Is(err, os.ErrNotExist) {
			v, err = []byte("absent"), nil
		}
		Expect(err).NotTo(HaveOccurred())
	})
	return strings.TrimSpace(string(v))
}

// tcpInfo returns the kernel's TCP_INFO of a connection.
func tcpInfo(conn net.Conn) *unix.TCPInfo {
	GinkgoHelper()
	raw, err := conn.(syscall.Conn).SyscallConn()
	Expect(err).NotTo(HaveOccurred())
	var info *unix.TCPInfo
	var ierr error
	Expect(raw.Control(func(fd uintptr) { info, ierr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO) })).To(Succeed())
	Expect(ierr).NotTo(HaveOccurred())
	return info
}

// download connects from the client to the server's port, reads until the
// connection ends, and returns the connection, how many bytes arrived and
// the read's error (nil at the end of the stream).
func (p pair) download(port uint16) (net.Conn, int64, error) {
	GinkgoHelper()
	conn := p.client.Dial("tcp", p.at(port))
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := io.Copy(io.Discard, conn)
	return conn, n, err
}

// echo writes back what the connection reads. (io.Copy between two TCP
// connections would splice through pipes that Go keeps for later.)
func echo(conn net.Conn) {
	b := make([]byte, 512)
	for {
		n, err := conn.Read(b)
		if err != nil {
			return
		}
		if _, err := conn.Write(b[:n]); err != nil {
			return
		}
	}
}

// sendAll writes size bytes to the connection and closes it.
func sendAll(size int) func(net.Conn) {
	return func(conn net.Conn) {
		_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		_, _ = conn.Write(make([]byte, size))
	}
}

var _ = Describe("connection faults", func() {
	BeforeEach(func() {
		guard.SkipUnlessPrivileged()
		firewall.SkipUnlessSupported(firewall.Tables)
	})

	It("reset: an established connection fails with ECONNRESET, new ones are refused, and the heal is exact", func() {
		firewall.SkipUnlessSupported(firewall.RejectRules)
		firewall.SkipUnlessSupported(firewall.Rewrite)
		p := newPair()
		p.serve(8080, echo)
		conn := p.client.Dial("tcp", p.at(8080))
		before := state(p.server)

		f := fault.Inject(fault.Reset(p.server, fault.Port(8080)))
		Expect(f.String()).To(Equal("reset tcp :8080 on server"))
		_, err := conn.Write([]byte("ping"))
		Expect(err).NotTo(HaveOccurred(), "the write only fills the send buffer")
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = conn.Read(make([]byte, 4))
		Expect(errors.Is(err, syscall.ECONNRESET)).To(BeTrue(), "the client's read after the reset: %v", err)
		_, err = testsupport.DialTCP(p.client.Netns(), p.at(8080), 5*time.Second)
		Expect(errors.Is(err, syscall.ECONNREFUSED)).To(BeTrue(), "a new connection: %v", err)

		fault.Heal(f)
		Expect(state(p.server)).To(Equal(before), "the heal leaves the server as it was")
		_, err = testsupport.DialTCP(p.client.Netns(), p.at(8080), 5*time.Second)
		Expect(err).NotTo(HaveOccurred(), "connecting after the heal")
	})

	It("stall: nothing gets through while it holds, and the stalled data arrives after the heal", func() {
		p := newPair()
		got := make(chan string, 1)
		p.serve(8080, func(c net.Conn) {
			b := make([]byte, 4)
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.ReadFull(c, b); err == nil {
				got <- string(b)
			}
		})
		conn := p.client.Dial("tcp", p.at(8080))
		f := fault.Inject(fault.Stall(p.server, fault.Peer(p.client)))
		Expect(f.String()).To(Equal("stall tcp with client on server"))
		_, err := conn.Write([]byte("ping"))
		Expect(err).NotTo(HaveOccurred())
		_, err = testsupport.DialTCP(p.client.Netns(), p.at(8080), 300*time.Millisecond)
		Expect(testsupport.IsTimeout(err)).To(BeTrue(), "a new connection times out: %v", err)
		Consistently(got).WithTimeout(300 * time.Millisecond).ShouldNot(Receive())

		fault.Heal(f)
		Eventually(got).WithTimeout(10*time.Second).Should(Receive(Equal("ping")), "the retransmitted data after the heal")
	})

	It("limit data: a transfer is cut with a reset at the limit, and connections after the heal carry everything", func() {
		firewall.SkipUnlessSupported(firewall.RejectRules)
		firewall.SkipUnlessSupported(firewall.Rewrite)
		const limit, size = 512 << 10, 4 << 20
		p := newPair()
		p.serve(8080, sendAll(size))
		before := state(p.server)

		f := fault.Inject(fault.LimitData(p.server, limit, fault.Port(8080)))
		Expect(f.String()).To(Equal("limit tcp :8080 on server to 524288 bytes per connection"))
		_, n, err := p.download(8080)
		By(fmt.Sprintf("%d bytes arrived before the cut", n))
		Expect(errors.Is(err, syscall.ECONNRESET)).To(BeTrue(), "the client's read at the limit: %v", err)
		Expect(n).To(BeNumerically("<=", limit), "no byte beyond the limit")
		Expect(n).To(BeNumerically(">=", limit*3/4), "bytes up to near the limit (headers, acknowledgements and the packet that crossed it are missing)")

		fault.Heal(f)
		Expect(state(p.server)).To(Equal(before), "the heal leaves the server as it was, byte counting off again")
		_, n, err = p.download(8080)
		Expect(err).NotTo(HaveOccurred())
		Expect(n).To(BeEquivalentTo(size))
	})

	It("slice: new connections carry segments no larger than the clamp, both ways", func() {
		const clamp = 200
		p := newPair()
		p.serve(8080, sendAll(256<<10))
		conn, n, err := p.download(8080)
		Expect(err).NotTo(HaveOccurred())
		Expect(n).To(BeEquivalentTo(256 << 10))
		Expect(tcpInfo(conn).Rcv_mss).To(BeNumerically(">", clamp), "segments before the fault")
		before := state(p.server)

		f := fault.Inject(fault.Slice(p.server, clamp, fault.Port(8080)))
		Expect(f.String()).To(Equal("slice tcp :8080 on server into segments of 200 bytes"))
		conn, n, err = p.download(8080)
		Expect(err).NotTo(HaveOccurred())
		Expect(n).To(BeEquivalentTo(256 << 10))
		info := tcpInfo(conn)
		Expect(info.Rcv_mss).To(And(BeNumerically(">", 0), BeNumerically("<=", clamp)), "the largest segment the client received")
		Expect(info.Snd_mss).To(BeNumerically("<=", clamp), "the client's own segments")

		fault.Heal(f)
		Expect(state(p.server)).To(Equal(before))
	})

	It("impair a port: a rate limits that port only, and the heal is exact", func() {
		impair.SkipUnlessSupported("htb")
		p := newPair()
		limited := testsupport.ServeTCP(p.server.Netns(), p.at(8080))
		other := testsupport.ServeTCP(p.server.Netns(), p.at(8081))
		before := state(p.client)

		f := fault.Inject(fault.ImpairPort(p.client, 8080, impair.Rate(1_000_000)))
		Expect(f.String()).To(Equal("impair tcp :8080 on client with tbf rate 1Mbit burst 6056B"))
		slow := testsupport.SendTCP(p.client.Netns(), limited, 96<<10)
		fast := testsupport.SendTCP(p.client.Netns(), other, 96<<10)
		By("port 8080 " + slow.Took.String() + ", port 8081 " + fast.Took.String())
		Expect(slow.Mbits()).To(BeNumerically("<", 1.5), "throughput at 1 Mbit/s")
		Expect(fast.Mbits()).To(BeNumerically(">", 3*slow.Mbits()), "the other port is not limited")

		fault.Heal(f)
		Expect(state(p.client)).To(Equal(before))
		Expect(testsupport.SendTCP(p.client.Netns(), limited, 96<<10).Mbits()).To(BeNumerically(">", 3*slow.Mbits()))
	})

	It("impair a port: a delay lengthens that port's round trips only", func() {
		impair.SkipUnlessSupported("netem")
		const delay = 100 * time.Millisecond
		p := newPair()
		testsupport.ServeTCP(p.server.Netns(), p.at(8080))
		testsupport.ServeTCP(p.server.Netns(), p.at(8081))
		fault.Inject(fault.ImpairPort(p.server, 8080, impair.Delay(delay)))
		Expect(testsupport.ConnectTime(p.client.Netns(), p.at(8080), 3)).To(BeNumerically(">=", delay))
		Expect(testsupport.ConnectTime(p.client.Netns(), p.at(8081), 3)).To(BeNumerically("<", delay))
	})

	It("refuses what makes no sense, naming the fault, and leaves nothing behind", func() {
		p := newPair()
		before := state(p.server)
		for _, c := range []struct {
			f      fault.Fault
			reason string
		}{
			{fault.Reset(p.server, fault.Port(0)), "cannot apply reset tcp on server, reason: Port(0): tcp port 0 matches nothing"},
			{fault.Stall(p.server, fault.PeerAddr("10.0.0.300")), `cannot apply stall tcp with 10.0.0.300 on server, reason: cannot add rule`},
			{fault.Slice(p.server, 10), "ClampMSS(10): a segment size below 64 bytes"},
			{fault.ImpairPort(p.server, 8080), "no impairment given"},
		} {
			err := c.f.Apply()
			Expect(err).To(MatchError(ContainSubstring(c.reason)))
			Expect(c.f.Heal()).To(Succeed(), "healing what is not applied does nothing")
		}
		p.server.Ifaces()[0].Impair(impair.Rate(1_000_000))
		err := fault.ImpairPort(p.server, 8080, impair.Rate(1_000_000)).Apply()
		Expect(err).To(MatchError(ContainSubstring(`the link has a root qdisc "tbf"`)))
		p.server.Ifaces()[0].Impair()
		Expect(state(p.server)).To(Equal(before))
	})

	It("applies and heals again and again, and heals at the end of the node", func() {
		p := newPair()
		before := state(p.server)
		f := fault.Stall(p.server, fault.Port(9))
		for range 2 {
			Expect(f.Apply()).To(Succeed())
			Expect(f.Apply()).To(Succeed(), "applying what is applied does nothing")
			Expect(state(p.server)).NotTo(Equal(before))
			Expect(f.Heal()).To(Succeed())
			Expect(state(p.server)).To(Equal(before))
		}
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			fault.InjectT(t, fault.Slice(p.server, 500))
			Expect(state(p.server)).NotTo(Equal(before))
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(state(p.server)).To(Equal(before))
	})

	It("keeps byte counting on while a data limit needs it, and turns it off with the last heal", func() {
		firewall.SkipUnlessSupported(firewall.RejectRules)
		firewall.SkipUnlessSupported(firewall.Rewrite)
		p := newPair()
		before := state(p.server)
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			first := fault.InjectT(t, fault.LimitData(p.server, 1000))
			fault.InjectT(t, fault.LimitData(p.server, 2000, fault.Port(80)))
			Expect(acct(p.server)).To(Equal("1"))
			fault.HealT(t, first)
			Expect(acct(p.server)).To(Equal("1"), "the other limit still counts bytes")
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(state(p.server)).To(Equal(before), "the cleanup healed the other limit, and turned byte counting off")
	})
})
