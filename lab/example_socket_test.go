package lab_test

import (
	"fmt"
	"io"
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/lab"
)

// A host's sockets live in its namespace, whichever goroutine uses them: a
// net/http server on alice's listener answers bob's HTTP client, with no
// process and no Execute. Both are closed when the spec ends.
func ExampleHost_HTTPClient() {
	It("serves HTTP from alice to bob across a router", func() {
		l := lab.New()
		alice, router, bob := l.Host("alice"), l.Router("router"), l.Host("bob")
		aliceEnd, routerToAlice := l.Connect(alice, router)
		_, routerToBob := l.Connect(bob, router)
		alice.DefaultRoute(routerToAlice)
		bob.DefaultRoute(routerToBob)

		ln := alice.Listen("tcp", aliceEnd.IPv4.Addr().String()+":8080")
		go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "hello %s", r.RemoteAddr) // bob's address, 10.0.2.1
		}))
		resp, err := bob.HTTPClient().Get("http://" + ln.Addr().String() + "/")
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		Expect(io.ReadAll(resp.Body)).To(HavePrefix("hello 10.0.2.1:"))
	})
}
