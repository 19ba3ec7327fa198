package lab_test

import (
	"net"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/firewall"
	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/impair"
	"github.com/scratchnet/scratchnet/lab"
)

// The realistic lab of docs/network-conditions.md, embedded there from here
// (make vet fails when the two differ), with a look at a failed Reach.
var _ = Describe("the guide's realistic lab", func() {

	BeforeEach(func() {
		guard.SkipUnlessPrivileged()
		impair.SkipUnlessSupported("tbf")
		firewall.SkipUnlessSupported(firewall.NAT)
		firewall.SkipUnlessSupported(firewall.RejectRules)
	})

	It("reaches a server through a NAT router over a slow uplink", func() {
		l := lab.New()
		alice, nat, server := l.Host("alice"), l.Router("nat"), l.Host("server")
		_, inside := l.Connect(alice, nat, lab.WithMTU(1400))
		outside, srv := l.Connect(nat, server,
			lab.ImpairFrom(nat, impair.Rate(1_000_000)), // 1 Mbit/s towards the server
			lab.ImpairFrom(server, impair.Rate(8_000_000)))
		alice.DefaultRoute(inside)
		nat.NAT(outside) // masquerade: server needs no route back to alice
		server.Firewall(firewall.Drop(firewall.TCP(81)), firewall.Reject(firewall.TCP(82)))

		var ln net.Listener
		server.Execute(func() { ln, _ = net.Listen("tcp", srv.IPv4.Addr().String()+":80") })
		defer ln.Close()

		Expect(alice).To(lab.Reach(server))                                                // ICMP echo
		Expect(alice).To(lab.Reach(srv, lab.TCP(80)))                                      // a TCP connection
		Expect(alice).NotTo(lab.Reach(srv, lab.TCP(81), lab.Within(200*time.Millisecond))) // dropped: times out
		Expect(alice).NotTo(lab.Reach(srv, lab.TCP(82)))                                   // rejected: refused at once
		outside.Impair()                                                                   // nat sends at full speed again

		m := lab.Reach(srv, lab.TCP(82))
		Expect(m.Match(alice)).To(BeFalse())
		GinkgoWriter.Println(m.FailureMessage(alice))
		Expect(outside.Impaired()).To(BeFalse())
	})
})
