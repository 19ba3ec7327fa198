package impair_test

import (
	"time"

	"github.com/scratchnet/scratchnet/impair"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

// A veth pair whose first end sends with 50 ms delay and 1% loss, then at
// 1 Mbit/s only, then clean again: in a Ginkgo spec, where the impairment
// goes with the spec.
func ExampleLink() {
	left, right := netns.NewTransient(), netns.NewTransient()
	dupond, _ := veth.NewTransient(veth.InNamespace(left), veth.WithPeerNamespace(right))
	imp := impair.Link(dupond, impair.Delay(50*time.Millisecond), impair.Loss(1))
	imp.Change(impair.Rate(1_000_000))
	imp.Remove()
}
