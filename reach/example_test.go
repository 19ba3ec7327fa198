package reach_test

import (
	"time"

	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/reach"
	"github.com/scratchnet/scratchnet/veth"
)

// Two namespaces joined by a veth pair: the first reaches the second by ICMP
// echo, and nothing listens on its TCP port 53. In a Ginkgo spec.
func ExampleReach() {
	left, right := netns.NewTransient(), netns.NewTransient()
	veth.NewTransient(veth.InNamespace(left), veth.WithPeerNamespace(right),
		veth.WithAddress("10.0.0.1/24"), veth.WithPeerAddress("10.0.0.2/24"),
		veth.WithUp(), veth.WithPeerUp())
	Expect(left).To(reach.Reach("10.0.0.2"))
	Expect(left).NotTo(reach.Reach("10.0.0.2", reach.TCP(53), reach.Within(200*time.Millisecond)))
}

// Try gives the outcome of one attempt per address, for a spec about how a
// port is closed: a rejected port is refused at once, a dropped one times
// out. In a Ginkgo spec.
func ExampleTry() {
	left, right := netns.NewTransient(), netns.NewTransient()
	veth.NewTransient(veth.InNamespace(left), veth.WithPeerNamespace(right),
		veth.WithAddress("10.0.0.1/24"), veth.WithPeerAddress("10.0.0.2/24"),
		veth.WithUp(), veth.WithPeerUp())
	results, err := reach.Try(left, "10.0.0.2", reach.TCP(8080))
	Expect(err).NotTo(HaveOccurred())
	Expect(results).To(ConsistOf(HaveField("Outcome", reach.Refused))) // nothing listens: RST
}
