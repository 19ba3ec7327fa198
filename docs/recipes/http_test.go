package recipes_test

import (
	"fmt"
	"io"
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/lab"
)

// A Go HTTP server and its client on two segments joined by a router: the
// server sees the client's own address, since the router only forwards.
var _ = Describe("a Go HTTP server and client in a routed lab", func() {
	BeforeEach(guard.SkipUnlessPrivileged)

	It("serves the client across the router", func() {
		l := lab.New()
		client, router, server := l.Host("client"), l.Router("router"), l.Host("server")
		clientLAN := l.Segment("clients", lab.Subnet("192.168.1.0/24")).Attach(router, client)
		serverLAN := l.Segment("servers", lab.Subnet("192.168.2.0/24")).Attach(router, server)
		client.DefaultRoute(clientLAN[0]) // the router's interface on the client's segment
		server.DefaultRoute(serverLAN[0])

		// The listener's socket is in the server's namespace; the goroutines
		// http.Serve starts only use it, so the server needs no process.
		ln := server.Listen("tcp", serverLAN[1].IPv4.Addr().String()+":8080")
		go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "hello %s", r.RemoteAddr)
		}))

		resp, err := client.HTTPClient().Get("http://" + ln.Addr().String() + "/")
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(body)).To(HavePrefix("hello " + clientLAN[1].IPv4.Addr().String() + ":"))
	})
})
