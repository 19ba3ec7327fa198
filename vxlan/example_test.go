package vxlan_test

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
	"github.com/scratchnet/scratchnet/vxlan"
)

// A VXLAN link in one namespace tunnels over an underlay in another. It only
// compiles here: it needs the privilege to create namespaces.
func ExampleNewTransient() {
	It("tunnels a namespace's Ethernet over an underlay in another", func() {
		underlayNs, ns := netns.NewTransient(), netns.NewTransient()
		underlay, _ := veth.NewTransient(veth.InNamespace(underlayNs), veth.WithPeerNamespace(underlayNs))
		vx := vxlan.NewTransient(underlay,
			vxlan.WithLinkNamespace(underlayNs), // where the underlay is found
			vxlan.InNamespace(ns),               // where the vxlan link goes
			vxlan.WithVNI(4711), vxlan.WithRemote("192.0.2.2"))
		Expect(vx.Attrs().Index).To(BeNumerically(">", 0)) // its index in ns
	})
}

// Without options, a VXLAN link uses the IANA port and VNI 42.
func ExampleDefaultDestinationPort() {
	fmt.Println(vxlan.DefaultDestinationPort, vxlan.DefaultVNI)
	// Output: 4789 42
}
