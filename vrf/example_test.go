package vrf_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
	"github.com/scratchnet/scratchnet/vrf"
)

// A link enslaved to a VRF routes through table 100. It only compiles here:
// it needs a namespace and the kernel's vrf driver, which many minimal
// kernels lack (the spec skips on those).
func ExampleNewTransient() {
	It("routes a link through a table of its own", func() {
		link.SkipUnlessSupported("vrf")
		ns := netns.NewTransient()
		v := vrf.NewTransient(100, vrf.InNamespace(ns), vrf.WithUp())
		member, _ := veth.NewTransient(veth.InNamespace(ns), veth.WithPeerNamespace(ns))
		vrf.AddMember(v, member) // released again at the end of the spec
		Expect(v.Attrs().Index).To(BeNumerically(">", 0))
	})
}
