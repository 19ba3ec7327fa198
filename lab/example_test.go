package lab_test

import (
	"net"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/lab"
)

// A lab builds a routed topology in a few lines and tears it down in one
// cleanup, by closing its namespaces.
func ExampleNew() {
	It("routes between two subnets", func() {
		l := lab.New()
		alice, router, bob := l.Host("alice"), l.Router("router"), l.Host("bob")
		_, routerToAlice := l.Connect(alice, router)  // 10.0.1.0/24, fd00:0:0:1::/64
		bobEnd, routerToBob := l.Connect(bob, router) // 10.0.2.0/24, fd00:0:0:2::/64
		alice.DefaultRoute(routerToAlice)
		bob.Route("10.0.1.0/24", routerToBob)

		var ln net.Listener
		bob.Execute(func() { ln, _ = net.Listen("tcp", bobEnd.IPv4.Addr().String()+":8080") })
		defer ln.Close()
		alice.Execute(func() {
			conn, err := net.Dial("tcp", ln.Addr().String())
			Expect(err).NotTo(HaveOccurred())
			conn.Close()
		})
	})
}

// Subnet and Addrs choose a wire's addresses; a segment is a bridge that
// several hosts attach to.
func ExampleSubnet() {
	It("puts hosts on a segment of a chosen subnet", func() {
		l := lab.New()
		alice, bob := l.Host("alice"), l.Host("bob")
		ifaces := l.Segment("lan", lab.Subnet("192.168.7.0/24")).Attach(alice, bob)
		Expect(ifaces[1].IPv4.String()).To(Equal("192.168.7.2/24"))
	})
}

// A Go function registered at package level runs on a host as a process of
// its own: the goroutines net/http starts for it, and their sockets, are in
// the host's namespace. Here "http-serve" is registered as
//
//	var _ = netns.RegisterFunc("http-serve", func(args []string) int {
//		fmt.Fprintln(os.Stderr, http.ListenAndServe(args[0], handler))
//		return 1
//	})
func ExampleHost_StartFunc() {
	It("serves HTTP from a Go function on bob to alice", func() {
		l := lab.New()
		alice, bob := l.Host("alice"), l.Host("bob")
		_, bobEnd := l.Connect(alice, bob)
		server := bob.StartFunc("http-serve", []string{":8080"}) // SIGTERM, then SIGKILL, at the end of the spec
		server.WaitListening("tcp", 8080)
		alice.Execute(func() {
			conn, err := net.Dial("tcp", bobEnd.IPv4.Addr().String()+":8080")
			Expect(err).NotTo(HaveOccurred())
			conn.Close()
		})
	})
}
