package bridge_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/bridge"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/reach"
	"github.com/scratchnet/scratchnet/veth"
)

// A bridge in a switch namespace joins two hosts into one Ethernet segment.
// It only compiles here: it needs the privilege to create namespaces.
func ExampleNewTransient() {
	It("switches between two namespaces", func() {
		sw, left, right := netns.NewTransient(), netns.NewTransient(), netns.NewTransient()
		br := bridge.NewTransient(bridge.InNamespace(sw), bridge.WithUp())
		for i, ns := range []int{left, right} {
			port, end := veth.NewTransient(veth.InNamespace(sw), veth.WithPeerNamespace(ns),
				veth.WithPeerAddress([]string{"10.0.0.1/24", "10.0.0.2/24"}[i]))
			bridge.AddPort(br, port) // released again at the end of the spec
			link.EnsureAllUp(port, end)
		}
		Expect(left).To(reach.Reach("10.0.0.2"))
	})
}
