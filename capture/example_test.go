package capture_test

import (
	"fmt"

	"github.com/scratchnet/scratchnet/capture"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

// Captures the first end of a veth pair, inside a Ginkgo spec, until the
// spec's cleanup.
func ExampleLink() {
	left, right := netns.NewTransient(), netns.NewTransient()
	dupond, _ := veth.NewTransient(veth.InNamespace(left), veth.WithPeerNamespace(right),
		veth.WithAddress("10.0.0.1/24"), veth.WithUp(), veth.WithPeerAddress("10.0.0.2/24"), veth.WithPeerUp())
	c := capture.Link(dupond, capture.WithName("left"))
	// ... traffic ...
	for _, line := range c.Lines() {
		fmt.Println(line) // such as "IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 1, seq 1, length 12"
	}
}

// Captures an interface by name in a namespace, with a smaller file.
func ExampleStart() {
	ns := netns.NewTransient(netns.WithName("server"))
	c := capture.Start(ns, "lo", capture.WithName("server"), capture.WithMaxFileSize(1<<20))
	c.Stop() // or leave it to the cleanup
	fmt.Println(c.File())
}
