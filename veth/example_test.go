package veth_test

import (
	"fmt"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

// A veth pair joins two namespaces; each end has its address and is up.
func ExampleNewTransient() {
	It("joins two namespaces", func() {
		left, right := netns.NewTransient(netns.WithName("left")), netns.NewTransient(netns.WithName("right"))
		dupond, dupont := veth.NewTransient(veth.InNamespace(left), veth.WithPeerNamespace(right),
			veth.WithAddress("10.0.0.1/24"), veth.WithUp(),
			veth.WithPeerAddress("10.0.0.2/24"), veth.WithPeerUp())
		Expect(dupond.Attrs().Namespace).NotTo(BeNil())
		Expect(dupont.Attrs().Index).To(BeNumerically(">", 0))
	})
}

// The same for plain go test; without WithPeerNamespace the peer stays in
// the calling thread's namespace (the kernel's rule).
func ExampleNewTransientT() {
	_ = func(t *testing.T) {
		ns := netns.NewTransientT(t)
		dupond, dupont := veth.NewTransientT(t, veth.InNamespace(ns), veth.WithPeerNamespace(ns))
		link.EnsureAllUpT(t, dupond, dupont)
	}
}

// Both ends are named with the prefix.
func ExampleVethPrefix() {
	fmt.Println(veth.VethPrefix)
	// Output: veth-
}
