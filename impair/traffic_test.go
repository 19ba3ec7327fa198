package impair_test

import (
	"net"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

// wire is a veth pair between two transient namespaces, addressed and up:
// near (10.13.0.1) in ns a, far (10.13.0.2) in ns b.
type wire struct {
	a, b      int
	near, far netlink.Link
}

func newWire() wire {
	GinkgoHelper()
	a, b := netns.NewTransient(netns.WithName("near")), netns.NewTransient(netns.WithName("far"))
	near, far := veth.NewTransient(veth.InNamespace(a), veth.WithPeerNamespace(b),
		veth.WithAddress("10.13.0.1/24"), veth.WithPeerAddress("10.13.0.2/24"),
		veth.WithUp(), veth.WithPeerUp())
	return wire{a: a, b: b, near: near, far: far}
}

// canConnect tells whether a TCP connection from ns to addr comes up within
// the timeout; any other error than a timeout fails the spec.
func canConnect(ns int, addr string, timeout time.Duration) bool {
	GinkgoHelper()
	_, err := testsupport.DialTCP(ns, addr, timeout)
	Expect(err == nil || testsupport.IsTimeout(err)).To(BeTrue(), "unexpected error: %v", err)
	return err == nil
}

// udpCount sends n datagrams from ns a to a UDP socket in ns b and counts
// what arrives there within a second of the last one.
func udpCount(a, b int, n int) int {
	GinkgoHelper()
	var pc net.PacketConn
	netns.Execute(b, func() {
		var err error
		pc, err = net.ListenPacket("udp", "10.13.0.2:0")
		Expect(err).NotTo(HaveOccurred())
	})
	defer pc.Close()
	netns.Execute(a, func() {
		conn, err := net.Dial("udp", pc.LocalAddr().String())
		Expect(err).NotTo(HaveOccurred())
		defer conn.Close()
		for range n {
			_, err := conn.Write([]byte("scratchnet"))
			Expect(err).NotTo(HaveOccurred())
		}
	})
	count := 0
	buf := make([]byte, 64)
	for {
		_ = pc.SetReadDeadline(time.Now().Add(time.Second))
		if _, _, err := pc.ReadFrom(buf); err != nil {
			return count
		}
		count++
	}
}
