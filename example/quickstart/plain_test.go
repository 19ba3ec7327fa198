package mynet_test

import (
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

func TestVethPair(t *testing.T) {
	guard.T(t)             // first: checks for leaks after every cleanup
	defer guard.ReportT(t) // a failure's report shows what the body left
	guard.SkipUnlessPrivilegedT(t)
	left, right := netns.NewTransientT(t), netns.NewTransientT(t)
	dupond, dupont := veth.NewTransientT(t,
		veth.InNamespace(left), veth.WithPeerNamespace(right))
	link.EnsureAllUpT(t, dupond, dupont)

	netns.ExecuteT(t, left, func() {
		// code under test runs in "left" here
		if _, err := netlink.LinkByIndex(dupond.Attrs().Index); err != nil {
			t.Errorf("dupond is not in left: %v", err)
		}
	})
}
