package recipes_test

import (
	"io"
	"net"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/impair"
	"github.com/scratchnet/scratchnet/lab"
)

// A client behind a NAT gateway whose uplink is rate-limited: the server sees
// the gateway's address, never the client's, and a transfer cannot go faster
// than the uplink's rate.
var _ = Describe("a NAT gateway with an impaired uplink", func() {
	BeforeEach(guard.SkipUnlessPrivileged)

	It("hides the client behind the gateway and limits its throughput", func() {
		impair.SkipUnlessSupported("tbf")
		const rate = 8_000_000 // bits per second: 1 MB/s
		l := lab.New()
		client, gateway, server := l.Host("client"), l.Router("gateway"), l.Host("server")
		clientEnd, gatewayInside := l.Connect(client, gateway, lab.Subnet("192.168.0.0/24"))
		gatewayOutside, serverEnd := l.Connect(gateway, server, lab.Subnet("203.0.113.0/24"),
			lab.ImpairFrom(gateway, impair.Rate(rate))) // the gateway's uplink sends at 1 MB/s
		client.DefaultRoute(gatewayInside)
		gateway.NAT(gatewayOutside)
		// The server has no route to the client's private network: replies
		// reach the client only through the gateway's translation.

		ln := server.Listen("tcp", serverEnd.IPv4.Addr().String()+":9000")
		peers := make(chan net.Addr, 1)
		received := make(chan int64, 1)
		go func() {
			defer GinkgoRecover()
			conn, err := ln.Accept()
			Expect(err).NotTo(HaveOccurred())
			defer conn.Close()
			peers <- conn.RemoteAddr()
			n, _ := io.Copy(io.Discard, conn)
			received <- n
		}()

		const size = 500_000 // bytes: at least 0.5 s at the rate
		conn := client.Dial("tcp", ln.Addr().String())
		start := time.Now()
		_, err := conn.Write(make([]byte, size))
		Expect(err).NotTo(HaveOccurred())
		Expect(conn.Close()).To(Succeed())
		Eventually(received, 5*time.Second).Should(Receive(BeEquivalentTo(size)))
		elapsed := time.Since(start)

		Expect(peers).To(Receive(WithTransform(func(a net.Addr) string {
			return a.(*net.TCPAddr).IP.String()
		}, Equal(gatewayOutside.IPv4.Addr().String()))), "the server sees the gateway's address, not %s", clientEnd.IPv4.Addr())
		// A lower bound only: however slow the machine, a transfer through a
		// token bucket cannot beat its rate (less the bucket's burst).
		Expect(float64(size*8) / elapsed.Seconds()).To(BeNumerically("<", 1.2*rate))
	})
})
