package netkit_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netkit"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/reach"
)

// A netkit pair in L3 mode connects a pod namespace to a host namespace. It
// only compiles here: it needs namespaces and Linux 6.7's netkit, which many
// kernels lack (the spec skips on those).
func ExampleNewTransient() {
	It("connects a pod namespace in L3 mode", func() {
		link.SkipUnlessKernel("netkit", 6, 7)
		link.SkipUnlessSupported("netkit")
		host, pod := netns.NewTransient(), netns.NewTransient()
		netkit.NewTransient(
			netkit.InNamespace(host), netkit.WithPeerNamespace(pod),
			netkit.WithAddress("10.0.0.1/24"), netkit.WithPeerAddress("10.0.0.2/24"),
			netkit.WithUp(), netkit.WithPeerUp())
		Expect(pod).To(reach.Reach("10.0.0.1"))
	})
}
