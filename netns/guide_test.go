package netns_test

import (
	"fmt"
	"io"
	"net"
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/netns"
)

// The snippets of docs/testing-go-code.md, embedded there from here.
var _ = Describe("docs/testing-go-code.md", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("plugs a namespace's dialer into net/http", func() {
		fd := netns.NewTransient()
		ln := netns.Listen(fd, "tcp", "127.0.0.1:0")
		go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintln(w, "hello")
		}))

		d := netns.NewDialer(fd)
		client := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
		resp, err := client.Get("http://" + ln.Addr().String() + "/")
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		Expect(io.ReadAll(resp.Body)).To(Equal([]byte("hello\n")))
	})

	It("runs a library's socket callback in the namespace", func() {
		fd := netns.NewTransient()

		// open stands for a library's socket factory, which the library
		// calls on goroutines of its own.
		var ln net.Listener
		open := func() (err error) {
			ln, err = net.Listen("tcp", "127.0.0.1:0")
			return err
		}
		opened := make(chan error)
		go func() { opened <- netns.Do(fd, open) }() // one of the library's goroutines
		Expect(<-opened).To(Succeed())
		defer ln.Close()

		conn := netns.Dial(fd, "tcp", ln.Addr().String()) // the listener is in fd
		conn.Close()
	})
})
