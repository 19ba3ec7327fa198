package lab_test

import (
	"fmt"
	"io"
	"net/http"
	"os"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/lab"
	"github.com/scratchnet/scratchnet/netns"
)

// handler answers with the name of the host whose namespace the request
// reached, as docs/running-code-under-test.md's Go code example serves it.
var handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintln(w, "hello from", r.Host)
})

// The Go code example of docs/running-code-under-test.md, embedded there
// from here (make vet fails when the two differ), with checks of
// what each server answered.
var _ = netns.RegisterFunc("serve", func(args []string) int {
	fmt.Fprintln(os.Stderr, http.ListenAndServe(args[0], handler))
	return 1
})

var _ = Describe("the guide's Go code example", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("serves HTTP across a router", func() {
		l := lab.New()
		alice, router, bob := l.Host("alice"), l.Router("router"), l.Host("bob")
		aliceEnd, routerToAlice := l.Connect(alice, router)
		bobEnd, routerToBob := l.Connect(bob, router)
		alice.DefaultRoute(routerToAlice)
		bob.DefaultRoute(routerToBob)

		// A listener in alice's namespace, served from any goroutine.
		ln := alice.Listen("tcp", aliceEnd.IPv4.Addr().String()+":8080")
		go http.Serve(ln, handler)
		resp, err := bob.HTTPClient().Get("http://" + ln.Addr().String() + "/")
		Expect(err).NotTo(HaveOccurred())
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		Expect(err).NotTo(HaveOccurred())
		Expect(string(body)).To(Equal("hello from " + ln.Addr().String() + "\n"))

		// Code that opens its own sockets: a Go function as a process on bob.
		server := bob.StartFunc("serve", []string{bobEnd.IPv4.Addr().String() + ":8081"})
		server.WaitListening("tcp", 8081)
		resp, err = alice.HTTPClient().Get("http://" + bobEnd.IPv4.Addr().String() + ":8081/")
		Expect(err).NotTo(HaveOccurred())
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		Expect(err).NotTo(HaveOccurred())
		Expect(string(body)).To(Equal("hello from " + bobEnd.IPv4.Addr().String() + ":8081\n"))
	})
})
