// Package ownsuite_test is a suite that declares a BeforeSuite and an
// AfterSuite of its own next to guard.Suite, as users' suites do; that
// Ginkgo accepts both, and runs them, is what it checks.
package ownsuite_test

import (
	"io"
	"net"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/sandbox"
)

func TestMain(m *testing.M) { sandbox.Main(m) }

func TestOwnSuite(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "a suite with its own BeforeSuite next to the guard")
}

var _ = guard.Suite()

var server net.Listener

var _ = BeforeSuite(func() {
	var err error
	server, err = net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	go func() {
		for {
			c, err := server.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("hello\n"))
			c.Close()
		}
	}()
})

var _ = AfterSuite(func() {
	Expect(server.Close()).To(Succeed())
})

var _ = Describe("a suite with its own BeforeSuite and AfterSuite next to guard.Suite", func() {
	It("reaches the server its BeforeSuite built, and the guard passes the spec", func() {
		c, err := net.Dial("tcp", server.Addr().String())
		Expect(err).NotTo(HaveOccurred())
		defer c.Close()
		Expect(io.ReadAll(c)).To(BeEquivalentTo("hello\n"))
	})
})
