package netdevsim_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netdevsim"
	"github.com/scratchnet/scratchnet/netdevsim/ensure"
	"github.com/scratchnet/scratchnet/netns"
)

// A simulated NIC with two ports in a transient namespace. It only compiles
// here: it needs root of the initial user namespace and the netdevsim module,
// which no Debian kernel builds (the spec skips without them).
func ExampleNewTransient() {
	_ = Describe("code that looks for hardware NICs", func() {
		BeforeEach(ensure.SkipUnlessNetdevsim)

		It("finds the device's ports", func() {
			ns := netns.NewTransient()
			_, ports := netdevsim.NewTransient(netdevsim.InNamespace(ns), netdevsim.WithPorts(2))
			Expect(ports).To(HaveLen(2))
			Expect(ports[0].Type()).To(Equal("device"))
		})
	})
}

// Two ports of different devices joined back to back, like a cable between
// two NICs; they come apart at the end of the spec.
func ExampleLink() {
	It("wires two simulated NICs together", func() {
		ensure.SkipUnlessNetdevsim()
		link.SkipUnlessKernel("netdevsim port linking", 6, 9)
		left, right := netns.NewTransient(), netns.NewTransient()
		_, a := netdevsim.NewTransient(netdevsim.InNamespace(left))
		_, b := netdevsim.NewTransient(netdevsim.InNamespace(right))
		netdevsim.Link(a[0], b[0])
	})
}
