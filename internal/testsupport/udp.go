package testsupport

import (
	"errors"
	"net"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// udpPayload is what [Delivered] sends, so that the listener can tell the
// datagram from anything else that reaches it.
const udpPayload = "scratchnet"

// ListenUDP opens an IPv4 UDP socket on addr inside the network namespace
// nsfd refers to, closed at cleanup. The socket stays in that namespace
// whichever thread uses it afterwards.
func ListenUDP(nsfd int, addr string) net.PacketConn {
	GinkgoHelper()
	var pc net.PacketConn
	var err error
	Expect(nsops.Do(nsfd, func() { pc, err = net.ListenPacket("udp4", addr) })).To(Succeed())
	Expect(err).NotTo(HaveOccurred(), "cannot listen on UDP %s in %s", addr, nsops.Describe(nsfd))
	DeferCleanup(pc.Close)
	return pc
}

// Delivered sends one datagram from a socket on src in the network
// namespace from to the listener to, and tells whether it arrived within a
// second. A send the kernel refuses, or a datagram other than the one sent,
// fails the spec: only a datagram that leaves and is lost counts as not
// delivered.
func Delivered(from int, src string, to net.PacketConn) bool {
	GinkgoHelper()
	out := ListenUDP(from, src)
	_, err := out.WriteTo([]byte(udpPayload), to.LocalAddr())
	Expect(err).NotTo(HaveOccurred(), "cannot send UDP from %s in %s to %s", src, nsops.Describe(from), to.LocalAddr())
	buf := make([]byte, 64)
	Expect(to.SetReadDeadline(time.Now().Add(time.Second))).To(Succeed())
	n, _, err := to.ReadFrom(buf)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	Expect(err).NotTo(HaveOccurred())
	Expect(string(buf[:n])).To(Equal(udpPayload))
	return true
}
