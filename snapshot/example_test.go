package snapshot_test

import (
	"fmt"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/snapshot"
)

// A spec takes a snapshot, runs the code under test, and checks that the
// namespace changed in just the expected ways; the failure message is the
// diff.
func ExampleHaveChangedSince() {
	_ = It("adds a bridge", func() {
		ns := netns.NewTransient()
		before := snapshot.Take(ns)

		netns.Execute(ns, func() {
			Expect(netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br0"}})).To(Succeed())
		})

		Expect(ns).To(snapshot.HaveChangedSince(before, "+ link br0 bridge state down mtu 1500"))
	})
}

// Code that must leave no trace is checked in one line.
func ExampleBeUnchangedSince() {
	_ = It("leaves the namespace as it found it", func() {
		ns := netns.NewTransient()
		before := snapshot.Take(ns)
		// run and undo the code under test
		Expect(ns).To(snapshot.BeUnchangedSince(before))
	})
}

// A golden file under testdata/ holds the expected snapshot or diff; run
// once with SCRATCHNET_UPDATE_GOLDEN=1 to write or accept it.
func ExampleMatchGolden() {
	_ = It("configures the namespace as the golden file says", func() {
		ns := netns.NewTransient()
		// configure ns
		Expect(snapshot.Take(ns, snapshot.Without(snapshot.Sysctls))).To(snapshot.MatchGolden("testdata/configured.golden"))
	})
}

// A plain test takes snapshots with TakeT and compares them itself.
func ExampleTakeT() {
	_ = func(t *testing.T) {
		ns := netns.NewTransientT(t)
		before := snapshot.TakeT(t, ns)
		// run the code under test
		if diff := snapshot.Compare(before, snapshot.TakeT(t, ns)); len(diff) > 0 {
			t.Errorf("the namespace changed:\n%s", diff)
		}
	}
}

// A diff's lines read like a change log: "+" an item added, "-" one
// removed, "~" one whose fields changed, named by its kind, its name and
// its named key fields.
func ExampleDiff() {
	eth0 := func(mtu string) snapshot.Item {
		return snapshot.Item{Kind: "link", Name: "eth0", Fields: []snapshot.Field{
			{Value: "veth", Key: true}, {Name: "state", Value: "up"}, {Name: "mtu", Value: mtu}}}
	}
	diff := snapshot.Diff{
		{Op: '+', After: snapshot.Item{Kind: "route", Name: "10.0.0.0/24", Fields: []snapshot.Field{
			{Name: "via", Value: "10.0.1.1"}, {Name: "dev", Value: "eth0"}, {Name: "table", Value: "main", Key: true}}}},
		{Op: '~', Before: eth0("1500"), After: eth0("1400")},
		{Op: '-', Before: snapshot.Item{Kind: "rule", Name: "100: from 10.1.0.0/16 lookup 42"}},
	}
	fmt.Print(diff)
	// Output:
	// + route 10.0.0.0/24 via 10.0.1.1 dev eth0 table main
	// ~ link eth0 mtu 1500 -> 1400
	// - rule 100: from 10.1.0.0/16 lookup 42
}
