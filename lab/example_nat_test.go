package lab_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/firewall"
	"github.com/scratchnet/scratchnet/impair"
	"github.com/scratchnet/scratchnet/lab"
)

// A home router: it masquerades its LAN towards the internet, and forwards
// its port 8080 to a server on the LAN. The internet host has no route to the
// LAN: it reaches the server only through the forwarded port.
func ExampleHost_NAT() {
	It("hides a LAN behind a router and forwards a port into it", func() {
		l := lab.New()
		laptop, server, router, internet := l.Host("laptop"), l.Host("server"), l.Router("router"), l.Host("internet")
		lan := l.Segment("lan", lab.Subnet("192.168.1.0/24")).Attach(router, laptop, server)
		wan, internetEnd := l.Connect(router, internet)
		laptop.DefaultRoute(lan[0])
		server.DefaultRoute(lan[0])
		router.NAT(wan)
		router.PortForward(firewall.TCP(8080), lan[2], 80)

		ln := server.Listen("tcp", ":80")
		defer ln.Close()
		Expect(laptop).To(lab.Reach(internetEnd))
		Expect(internet).To(lab.Reach(wan, lab.TCP(8080)))
	})
}

// A wire with 20 ms of delay each way, and every interface of the lab
// captured: the pcapng files and the last packets show in the report of a
// failed spec.
func ExampleImpair() {
	It("runs over a slow link and keeps its packets", func() {
		impair.SkipUnlessSupported("netem")
		l := lab.New()
		l.Capture()
		alice, bob := l.Host("alice"), l.Host("bob")
		l.Connect(alice, bob, lab.Impair(impair.Delay(20*time.Millisecond)))
		results, err := lab.Try(alice, bob)
		Expect(err).NotTo(HaveOccurred())
		Expect(results[0].Took).To(BeNumerically(">=", 40*time.Millisecond)) // there and back
	})
}
