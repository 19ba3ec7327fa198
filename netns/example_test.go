package netns_test

import (
	"fmt"
	"net"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/netns"
)

// A spec runs its code in a namespace of its own, and talks netlink to
// another one; everything is gone when the spec ends.
func Example() {
	It("serves on loopback in a namespace of its own", func() {
		defer netns.EnterTransient()()              // this goroutine's thread is now in a fresh namespace
		ln, err := net.Listen("tcp", "127.0.0.1:0") // lo is already up
		Expect(err).NotTo(HaveOccurred())
		Expect(ln.Close()).To(Succeed())
	})

	It("looks into a namespace without entering it", func() {
		server := netns.NewTransient(netns.WithName("server")) // closed when the spec ends
		links, err := netns.NewNetlinkHandle(server).LinkList()
		Expect(err).NotTo(HaveOccurred())
		Expect(links).To(HaveLen(1)) // lo
	})
}

// Execute runs code on the calling goroutine inside the namespace, and
// switches back afterwards.
func ExampleExecute() {
	It("runs code under test inside a namespace", func() {
		fd := netns.NewTransient()
		netns.Execute(fd, func() {
			Expect(netns.CurrentIno()).To(Equal(netns.Ino(fd)))
		})
	})
}

// Plain go test users call the siblings ending in T; cleanup goes through
// t.Cleanup.
func ExampleNewTransientT() {
	_ = func(t *testing.T) {
		left := netns.NewTransientT(t, netns.WithName("left"))
		netns.ExecuteT(t, left, func() {
			// code under test runs in "left" here
		})
	}
}

// Ino identifies a namespace by an fd or a path; the process's namespace,
// as /proc/self names it, is the calling thread's unless that thread entered
// another one.
func ExampleIno() {
	fmt.Println(netns.Ino("/proc/self/ns/net") == netns.CurrentIno())
	// Output: true
}
