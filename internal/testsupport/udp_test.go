package testsupport_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/netns"
)

var _ = Describe("UDP delivery between namespaces", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("tells a datagram that arrived from one sent into another namespace's loopback", func() {
		here, there := netns.NewTransient(), netns.NewTransient()
		Expect(testsupport.Delivered(here, "127.0.0.1:0", testsupport.ListenUDP(here, "127.0.0.1:4242"))).To(BeTrue())
		// The same address in another namespace is another socket: what is
		// sent to it from here stays in here's loopback.
		Expect(testsupport.Delivered(here, "127.0.0.1:0", testsupport.ListenUDP(there, "127.0.0.1:4243"))).To(BeFalse())
	})
})
