package testsupport

import (
	"bytes"
	"net"
	"net/netip"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// Ping sends one ICMP (or ICMPv6) echo request with the given id, sequence
// number and payload from the network namespace nsfd to dst, through a raw
// socket (no ping binary needed), and expects the matching reply within two
// seconds.
func Ping(nsfd int, dst netip.Addr, id, seq int, payload []byte) {
	GinkgoHelper()
	network, typ, reply := "ip4:icmp", icmp.Type(ipv4.ICMPTypeEcho), icmp.Type(ipv4.ICMPTypeEchoReply)
	proto := 1
	if dst.Is6() {
		network, typ, reply = "ip6:ipv6-icmp", ipv6.ICMPTypeEchoRequest, ipv6.ICMPTypeEchoReply
		proto = 58
	}
	var conn *icmp.PacketConn
	var err error
	Expect(nsops.Do(nsfd, func() { conn, err = icmp.ListenPacket(network, "") })).To(Succeed())
	Expect(err).NotTo(HaveOccurred(), "cannot open a raw ICMP socket")
	defer conn.Close()
	msg := icmp.Message{Type: typ, Body: &icmp.Echo{ID: id, Seq: seq, Data: payload}}
	b, err := msg.Marshal(nil)
	Expect(err).NotTo(HaveOccurred())
	_, err = conn.WriteTo(b, &net.IPAddr{IP: dst.AsSlice()})
	Expect(err).NotTo(HaveOccurred(), "cannot send echo request to %s", dst)
	Expect(conn.SetReadDeadline(time.Now().Add(2 * time.Second))).To(Succeed())
	buf := make([]byte, 65536)
	for {
		n, _, err := conn.ReadFrom(buf)
		Expect(err).NotTo(HaveOccurred(), "no echo reply from %s", dst)
		m, err := icmp.ParseMessage(proto, buf[:n])
		if err != nil || m.Type != reply {
			continue
		}
		if e, ok := m.Body.(*icmp.Echo); ok && e.ID == id && e.Seq == seq && bytes.Equal(e.Data, payload) {
			return
		}
	}
}
