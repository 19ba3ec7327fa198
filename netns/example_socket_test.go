package netns_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/netns"
)

// Listen gives a listener whose socket lives in the namespace, so that a
// server's accept loop and handlers may run on goroutines of their own; an
// HTTP client made by NewHTTPClient dials from the namespace, whichever
// goroutine sends the request. Both are closed when the spec ends.
func ExampleListen() {
	It("serves HTTP in a namespace without entering it", func() {
		fd := netns.NewTransient(netns.WithName("server"))
		ln := netns.Listen(fd, "tcp", "127.0.0.1:8080")
		go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "hello")
		}))
		resp, err := netns.NewHTTPClient(fd).Get("http://127.0.0.1:8080/")
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		Expect(io.ReadAll(resp.Body)).To(Equal([]byte("hello")))
	})
}

// A Dialer's DialContext plugs into what takes a dial function: a
// net.Resolver (here sending every query to one name server, wherever
// /etc/resolv.conf points), an http.Transport, and grpc.WithContextDialer
// through a one-line adapter.
func ExampleNewDialer() {
	It("resolves names from inside a namespace", func() {
		fd := netns.NewTransient()
		d := netns.NewDialer(fd)
		r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, "127.0.0.1:53") // a DNS server listening in the namespace
		}}
		_, _ = r.LookupHost(context.Background(), "server.test.")

		// With gRPC:
		//   grpc.NewClient("10.0.0.1:50051", grpc.WithContextDialer(
		//       func(ctx context.Context, addr string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) }))
	})
}

// Do runs a callback of a library's, on whatever goroutine the library
// calls it, with its thread in the namespace: the sockets it opens live
// there. It returns the callback's error and fails no test, so that it may
// run outside the spec's goroutine.
func ExampleDo() {
	It("opens a library's socket in a namespace from the library's goroutine", func() {
		fd := netns.NewTransient()
		open := func() (net.PacketConn, error) { return net.ListenPacket("udp", "127.0.0.1:0") } // the library's own code
		sockets := make(chan net.PacketConn, 1)
		go func() { // the library's goroutine
			var pc net.PacketConn
			err := netns.Do(fd, func() (err error) {
				pc, err = open()
				return err
			})
			if err == nil {
				sockets <- pc
			}
			close(sockets)
		}()
		pc := <-sockets
		Expect(pc).NotTo(BeNil())
		pc.Close()
	})
}
