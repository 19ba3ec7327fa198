package capture_test

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gleak"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/capture"
	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/diag"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/tuntap"
	"github.com/scratchnet/scratchnet/veth"
)

var (
	rightV4 = netip.MustParseAddr("10.9.0.2")
	rightV6 = netip.MustParseAddr("fd09::2")
)

// pair returns two named transient namespaces joined by an addressed veth
// pair that is up, and the end in left.
func pair(t testing.TB) (left, right int, dupond netlink.Link) {
	left = netns.NewTransientT(t, netns.WithName("left"))
	right = netns.NewTransientT(t, netns.WithName("right"))
	dupond, _ = veth.NewTransientT(t, veth.InNamespace(left), veth.WithPeerNamespace(right),
		veth.WithAddress("10.9.0.1/24"), veth.WithAddress("fd09::1/64"), veth.WithUp(),
		veth.WithPeerAddress("10.9.0.2/24"), veth.WithPeerAddress("fd09::2/64"), veth.WithPeerUp())
	return left, right, dupond
}

// handshake opens a TCP connection from left to right, sends a message and
// closes it.
func handshake(left, right int) int {
	GinkgoHelper()
	var ln net.Listener
	netns.Execute(right, func() {
		var err error
		ln, err = net.Listen("tcp", netip.AddrPortFrom(rightV4, 0).String())
		Expect(err).NotTo(HaveOccurred())
	})
	defer ln.Close()
	netns.Execute(left, func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		Expect(err).NotTo(HaveOccurred())
		_, err = c.Write([]byte("hello"))
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Close()).To(Succeed())
	})
	c, err := ln.Accept()
	Expect(err).NotTo(HaveOccurred())
	defer c.Close()
	msg, err := io.ReadAll(c)
	Expect(err).NotTo(HaveOccurred())
	Expect(string(msg)).To(Equal("hello"))
	return ln.Addr().(*net.TCPAddr).Port
}

func echo(p gopacket.Packet, typ uint8) *layers.ICMPv4 {
	if icmp, ok := p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4); ok && icmp.TypeCode.Type() == typ {
		return icmp
	}
	return nil
}

func tcpFlags(p gopacket.Packet, port int) string {
	tcp, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
	if !ok || (int(tcp.DstPort) != port && int(tcp.SrcPort) != port) {
		return ""
	}
	switch {
	case tcp.SYN && tcp.ACK:
		return "SYN-ACK"
	case tcp.SYN:
		return "SYN"
	case tcp.ACK && !tcp.FIN && !tcp.PSH && len(tcp.Payload) == 0:
		return "ACK"
	}
	return "other"
}

var _ = Describe("captures", func() {

	BeforeEach(guard.SkipUnlessPrivileged)
	BeforeEach(capture.SkipUnlessSupported)

	It("record a known ping and a TCP handshake, in the pcapng file and in the decoded lines", func() {
		left, right, dupond := pair(GinkgoTB())
		c := capture.Link(dupond, capture.WithName("left"), capture.WithLastPackets(100))
		testsupport.Ping(left, rightV4, 0x5c4e, 7, []byte("scratchnet"))
		testsupport.Ping(left, rightV6, 0x5c4f, 8, []byte("scratchnet6"))
		port := handshake(left, right)
		c.Stop()

		intf, packets := testsupport.ReadPcapng(c.File())
		Expect(intf.Name).To(Equal(dupond.Attrs().Name))
		Expect(intf.Description).To(MatchRegexp(`^left, network namespace net:\[%d\]$`, netns.Ino(left)))
		Expect(filepath.Base(c.File())).To(Equal("left-" + dupond.Attrs().Name + ".pcapng"))

		var request, reply bool
		var handshakeSeen []string
		for _, p := range packets {
			if e := echo(p, layers.ICMPv4TypeEchoRequest); e != nil && e.Id == 0x5c4e && e.Seq == 7 && string(e.Payload) == "scratchnet" {
				request = true
			}
			if e := echo(p, layers.ICMPv4TypeEchoReply); e != nil && e.Id == 0x5c4e && e.Seq == 7 {
				reply = true
			}
			if f := tcpFlags(p, port); f != "" && len(handshakeSeen) < 3 {
				handshakeSeen = append(handshakeSeen, f)
			}
		}
		Expect(request).To(BeTrue(), "the echo request is not in the file")
		Expect(reply).To(BeTrue(), "the echo reply is not in the file")
		Expect(handshakeSeen).To(Equal([]string{"SYN", "SYN-ACK", "ACK"}))

		lines := strings.Join(c.Lines(), "\n")
		Expect(lines).To(ContainSubstring("ARP who-has 10.9.0.2 tell 10.9.0.1"))
		Expect(lines).To(ContainSubstring("ARP reply 10.9.0.2 is-at "))
		// As tcpdump counts: the 8-byte ICMP header and the 10-byte payload.
		Expect(lines).To(ContainSubstring("IP 10.9.0.1 > 10.9.0.2: ICMP echo request, id 23630, seq 7, length 18\n"))
		Expect(lines).To(ContainSubstring("IP 10.9.0.2 > 10.9.0.1: ICMP echo reply, id 23630, seq 7, length 18\n"))
		Expect(lines).To(ContainSubstring("ICMP6 neighbor solicitation, who has fd09::2"))
		Expect(lines).To(MatchRegexp(`ICMP6 neighbor advertisement, fd09::2 is at ([0-9a-f]{2}:){5}[0-9a-f]{2}`))
		Expect(lines).To(ContainSubstring("IP6 fd09::1 > fd09::2: ICMP6 echo request, id 23631, seq 8, length 19\n"))
		Expect(lines).To(MatchRegexp(`IP 10\.9\.0\.1\.\d+ > 10\.9\.0\.2\.%d: TCP \[S\] seq \d+ win \d+ length 0`, port))
		Expect(lines).To(MatchRegexp(`IP 10\.9\.0\.2\.%d > 10\.9\.0\.1\.\d+: TCP \[S\.\] seq \d+ ack \d+`, port))
		Expect(lines).To(MatchRegexp(`IP 10\.9\.0\.1\.\d+ > 10\.9\.0\.2\.%d: TCP \[P\.\] seq \d+ ack \d+ win \d+ length 5`, port))
	})

	It("decode DNS queries and responses and DHCP messages", func() {
		left, right, dupond := pair(GinkgoTB())
		c := capture.Link(dupond, capture.WithLastPackets(100))
		var server net.PacketConn
		netns.Execute(right, func() {
			var err error
			server, err = net.ListenPacket("udp4", "10.9.0.2:53")
			Expect(err).NotTo(HaveOccurred())
		})
		defer server.Close()
		query := layers.DNS{ID: 0x1234, RD: true, Questions: []layers.DNSQuestion{
			{Name: []byte("example.test"), Type: layers.DNSTypeA, Class: layers.DNSClassIN}}}
		answer := query
		answer.QR, answer.Answers = true, []layers.DNSResourceRecord{{Name: []byte("example.test"),
			Type: layers.DNSTypeA, Class: layers.DNSClassIN, TTL: 60, IP: net.IPv4(10, 9, 0, 53)}}
		dhcp := layers.DHCPv4{Operation: layers.DHCPOpRequest, HardwareType: layers.LinkTypeEthernet, HardwareLen: 6,
			Xid: 0xc0ffee, ClientHWAddr: dupond.Attrs().HardwareAddr,
			Options: []layers.DHCPOption{layers.NewDHCPOption(layers.DHCPOptMessageType, []byte{byte(layers.DHCPMsgTypeDiscover)})}}
		netns.Execute(left, func() {
			client, err := net.ListenPacket("udp4", "10.9.0.1:68")
			Expect(err).NotTo(HaveOccurred())
			defer client.Close()
			for _, msg := range []gopacket.SerializableLayer{&query, &dhcp} {
				buf := gopacket.NewSerializeBuffer()
				Expect(msg.SerializeTo(buf, gopacket.SerializeOptions{FixLengths: true})).To(Succeed())
				port := 53
				if msg == &dhcp {
					port = 67
				}
				_, err = client.WriteTo(buf.Bytes(), &net.UDPAddr{IP: net.IP(rightV4.AsSlice()), Port: port})
				Expect(err).NotTo(HaveOccurred())
			}
		})
		b := make([]byte, 512)
		_, from, err := server.ReadFrom(b)
		Expect(err).NotTo(HaveOccurred())
		buf := gopacket.NewSerializeBuffer()
		Expect(answer.SerializeTo(buf, gopacket.SerializeOptions{FixLengths: true})).To(Succeed())
		_, err = server.WriteTo(buf.Bytes(), from)
		Expect(err).NotTo(HaveOccurred())

		lines := strings.Join(c.Lines(), "\n")
		Expect(lines).To(ContainSubstring("IP 10.9.0.1.68 > 10.9.0.2.53: DNS query id 4660: A example.test"))
		Expect(lines).To(ContainSubstring("IP 10.9.0.2.53 > 10.9.0.1.68: DNS response id 4660 No Error: A example.test -> 10.9.0.53"))
		Expect(lines).To(ContainSubstring("IP 10.9.0.1.68 > 10.9.0.2.67: DHCP Discover xid 0xc0ffee client " + dupond.Attrs().HardwareAddr.String()))
	})

	It("decode the IP packets of a tun device, which have no link-layer header", func() {
		link.SkipUnlessSupported("tuntap")
		ns := netns.NewTransient()
		tun := tuntap.NewTransientTun(tuntap.InNamespace(ns))
		netns.Execute(ns, func() {
			// A program attached to the tun device gives it a carrier.
			fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(unix.Close, fd)
			ifr, err := unix.NewIfreq(tun.Attrs().Name)
			Expect(err).NotTo(HaveOccurred())
			ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
			Expect(unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr)).To(Succeed())
		})
		link.AddAddress(tun, "10.8.0.1/24")
		link.EnsureUp(tun)
		c := capture.Link(tun)
		netns.Execute(ns, func() {
			conn, err := net.Dial("udp4", "10.8.0.2:9")
			Expect(err).NotTo(HaveOccurred())
			defer conn.Close()
			_, err = conn.Write([]byte("hello"))
			Expect(err).NotTo(HaveOccurred())
		})
		Expect(c.Lines()).To(ContainElement(MatchRegexp(`IP 10\.8\.0\.1\.\d+ > 10\.8\.0\.2\.9: UDP length 5$`)))
		c.Stop()
		intf, _ := testsupport.ReadPcapng(c.File())
		Expect(intf.LinkType).To(Equal(layers.LinkTypeRaw))
	})

	It("show only the last packets in the decoded lines, oldest first", func() {
		left, _, dupond := pair(GinkgoTB())
		c := capture.Link(dupond, capture.WithLastPackets(4))
		for seq := range 5 {
			testsupport.Ping(left, rightV4, 1, seq, []byte("x"))
		}
		// The kernel's own IPv6 chatter (MLD reports) may land among the
		// pings, so the window is checked for what it must and must not
		// hold, and for its order.
		lines := c.Lines()
		Expect(lines).To(HaveLen(4))
		Expect(lines).To(ContainElement(ContainSubstring("ICMP echo request, id 1, seq 4")))
		Expect(lines).To(ContainElement(ContainSubstring("ICMP echo reply, id 1, seq 4")))
		for _, old := range []string{"seq 0", "seq 1", "seq 2"} {
			Expect(lines).NotTo(ContainElement(ContainSubstring(old + ",")))
		}
		Expect(slices.IsSorted(lines)).To(BeTrue(), "the lines, which start with their time, are oldest first")
	})

	It("stop writing at the file size limit, say so, and keep following the traffic in the lines", func() {
		left, _, dupond := pair(GinkgoTB())
		c := capture.Link(dupond, capture.WithMaxFileSize(4096), capture.WithName("left"))
		payload := make([]byte, 1000)
		for seq := range 20 {
			testsupport.Ping(left, rightV4, 2, seq, payload)
		}
		report := diag.Render([]diag.Target{{Name: "left", NsFd: left}})
		c.Stop()
		st, err := os.Stat(c.File())
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Size()).To(BeNumerically("<=", 4096))
		intf, packets := testsupport.ReadPcapng(c.File())
		Expect(packets).NotTo(BeEmpty())
		Expect(len(packets)).To(BeNumerically("<", 10))
		// The file ends with statistics that count the packets it lacks.
		Expect(intf.Statistics.PacketsDropped).To(BeNumerically(">", 0))
		Expect(intf.Statistics.PacketsReceived).To(Equal(uint64(len(packets)) + intf.Statistics.PacketsDropped))
		Expect(report).To(MatchRegexp(`captures:\n    %s: \d+ packets, file size limit of 4096 bytes reached: \d+ packets not written, file .*\.pcapng \(removed when the test passes\)`, dupond.Attrs().Name))
		Expect(report).To(ContainSubstring("ICMP echo reply, id 2, seq 19, length 1008\n"))
	})

	It("keep the file of a failing test, name it in the report and the log, and remove that of a passing one", func() {
		var kept, removed string
		failing := &testsupport.Recorder{}
		failing.Run(func(t testing.TB) {
			left, _, dupond := pair(t)
			kept = capture.LinkT(t, dupond, capture.WithName("left")).File()
			testsupport.Ping(left, rightV4, 3, 1, []byte("kept"))
			t.Errorf("something went wrong")
		})
		DeferCleanup(os.RemoveAll, filepath.Dir(kept))
		Expect(kept).To(BeAnExistingFile())
		_, packets := testsupport.ReadPcapng(kept)
		Expect(packets).NotTo(BeEmpty())
		Expect(failing.Logs()).To(ContainElement(SatisfyAll(
			ContainSubstring("captures:"),
			ContainSubstring(", kept as "+kept),
			ContainSubstring("ICMP echo request, id 3, seq 1"))))
		Expect(failing.Logs()).To(ContainElement(
			"scratchnet kept the captures of the failed test in " + filepath.Dir(kept) + ": " + filepath.Base(kept)))

		passing := &testsupport.Recorder{}
		passing.Run(func(t testing.TB) {
			left, _, dupond := pair(t)
			removed = capture.LinkT(t, dupond).File()
			testsupport.Ping(left, rightV4, 3, 2, []byte("removed"))
		})
		Expect(passing.Failures()).To(BeEmpty())
		Expect(removed).NotTo(BeAnExistingFile())
		Expect(filepath.Dir(removed)).NotTo(BeADirectory())
	})

	It("move the files of a failing test to $SCRATCHNET_CAPTURE_DIR, with the files added next to them", func() {
		artifacts := GinkgoT().TempDir()
		Expect(os.Setenv(capture.EnvDir, artifacts)).To(Succeed())
		DeferCleanup(os.Unsetenv, capture.EnvDir)
		var tmp string
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			left, _, dupond := pair(t)
			tmp = capture.LinkT(t, dupond, capture.WithName("left")).File()
			capture.AddFileT(t, "notes.txt", func() []byte { return []byte("written on failure") })
			testsupport.Ping(left, rightV4, 4, 1, []byte("moved"))
			t.Errorf("something went wrong")
		})
		moved := filepath.Join(artifacts, filepath.Base(filepath.Dir(tmp)), filepath.Base(tmp))
		Expect(filepath.Dir(tmp)).NotTo(BeADirectory())
		Expect(moved).To(BeAnExistingFile())
		Expect(filepath.Join(filepath.Dir(moved), "notes.txt")).To(BeAnExistingFile())
		Expect(rec.Logs()).To(ContainElement(ContainSubstring(", kept as " + moved)))
		_, packets := testsupport.ReadPcapng(moved)
		Expect(packets).NotTo(BeEmpty())
	})

	It("have in the file of a failing test every packet sent up to its end", func() {
		artifacts := GinkgoT().TempDir()
		Expect(os.Setenv(capture.EnvDir, artifacts)).To(Succeed())
		DeferCleanup(os.Unsetenv, capture.EnvDir)
		// Few enough for the socket's receive buffer, which then drops
		// none of them even if its reader takes none before the end.
		const sent = 100
		var tmp string
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			left, _, dupond := pair(t)
			tmp = capture.LinkT(t, dupond).File()
			out := testsupport.ListenUDP(left, "10.9.0.1:0")
			t.Errorf("failing, so that the file is kept")
			// The last thing the test does: a veth hands each datagram to
			// the capture before WriteTo returns.
			for i := range sent {
				_, err := out.WriteTo(fmt.Appendf(nil, "end-%d", i), &net.UDPAddr{IP: rightV4.AsSlice(), Port: 9})
				Expect(err).NotTo(HaveOccurred())
			}
		})
		_, packets := testsupport.ReadPcapng(filepath.Join(artifacts, filepath.Base(filepath.Dir(tmp)), filepath.Base(tmp)))
		seen := map[string]bool{}
		for _, p := range packets {
			if udp, ok := p.Layer(layers.LayerTypeUDP).(*layers.UDP); ok && udp.DstPort == 9 {
				seen[string(udp.Payload)] = true
			}
		}
		for i := range sent {
			Expect(seen).To(HaveKey(fmt.Sprintf("end-%d", i)), "%d of %d datagrams in the file", len(seen), sent)
		}
	})

	It("keep the file of a small capture in memory until it stops, and write a big one as it grows", func() {
		left, right, dupond := pair(GinkgoTB())
		small := capture.LinkT(GinkgoTB(), dupond, capture.WithName("small"))
		big := capture.LinkT(GinkgoTB(), dupond, capture.WithName("big"), capture.WithMaxFileSize(64<<20))
		testsupport.Ping(left, rightV4, 6, 1, []byte("small"))
		small.Stop()
		Expect(small.File()).To(BeAnExistingFile())
		// Of frames this big the kernel drops many (the report counts
		// them), but several megabytes get through.
		server := testsupport.ServeTCP(right, "10.9.0.2:0")
		testsupport.SendTCP(left, server, 32<<20)
		Eventually(big.File).Should(BeAnExistingFile(), "megabytes captured, still only in memory")
		big.Stop()
		info, err := os.Stat(big.File())
		Expect(err).NotTo(HaveOccurred())
		Expect(info.Size()).To(BeNumerically(">", 1<<20))
	})

	It("leave no goroutine, file descriptor or file behind once the test is over", func() {
		// The suite's guard checks the fds after every spec, this one too.
		goroutines := gleak.Goroutines()
		var dir string
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			left, _, dupond := pair(t)
			dir = filepath.Dir(capture.LinkT(t, dupond).File())
			capture.StartT(t, left, "lo")
			testsupport.Ping(left, rightV4, 5, 1, []byte("leak"))
			Expect(dir).NotTo(BeADirectory(), "the small captures of a test that passes are never written")
		})
		Expect(rec.Failures()).To(BeEmpty())
		Eventually(gleak.Goroutines).ShouldNot(gleak.HaveLeaked(goroutines))
		Expect(dir).NotTo(BeADirectory())
	})

	It("refuse an interface that is not there and bad options, naming why", func() {
		ns := netns.NewTransient()
		testsupport.ExpectRefused(func(t testing.TB) { capture.StartT(t, ns, "nosuch0") }, ns,
			`cannot capture interface "nosuch0" in network namespace net:[`, "reason: ")
		testsupport.ExpectRefused(func(t testing.TB) { capture.StartT(t, ns, "lo", capture.WithMaxFileSize(10)) }, ns,
			`cannot capture interface "lo", reason: WithMaxFileSize`, "less than the minimum")
		testsupport.ExpectRefused(func(t testing.TB) { capture.StartT(t, ns, "lo", capture.WithLastPackets(0)) }, ns,
			`cannot capture interface "lo", reason: WithLastPackets`, "not between 1 and 1000")
	})
})

var _ = Describe("capturing a link looked up through a bound handle (issue 19)", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("captures the link in the namespace its wrapper names, not the caller's link of that name", func() {
		server, caller := netns.NewTransient(), netns.Current()
		c := capture.Link(link.WrapWithLinkNamespace(testsupport.Bound(server, "lo"), server))
		testsupport.Ping(server, netip.MustParseAddr("127.0.0.1"), 0x1901, 1, nil)
		testsupport.Ping(caller, netip.MustParseAddr("127.0.0.1"), 0x1902, 1, nil)
		c.Stop()
		_, packets := testsupport.ReadPcapng(c.File())
		Expect(testsupport.EchoRequests(packets, 0x1901)).To(ContainElement(uint16(1)), "the ping inside the server's namespace")
		Expect(testsupport.EchoRequests(packets, 0x1902)).To(BeEmpty(), "the ping in the caller's namespace")
	})

	It("refuses the link when nothing names its namespace, saying how to name it", func() {
		server, caller := netns.NewTransient(), netns.Current()
		near, _ := veth.NewTransient(veth.InNamespace(server), veth.WithPeerNamespace(server))
		bound := testsupport.Bound(server, near.Attrs().Name)
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { capture.LinkT(t, bound) })
		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			HavePrefix(fmt.Sprintf(`cannot capture link %q (index %d), reason: it names no network namespace, so it was looked for in the calling thread's network namespace net:[%d], where `,
				near.Attrs().Name, bound.Attrs().Index, netns.Ino(caller))),
			ContainSubstring("name it with link.WrapWithLinkNamespace(l, nsfd) or l.Attrs().Namespace = netlink.NsFd(nsfd)"))))
	})
})
