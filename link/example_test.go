package link_test

import (
	"fmt"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
)

// Any link kind vishvananda/netlink knows becomes a transient link from a
// template: created in the namespace asked for, addressed, up, and deleted
// (or left to its namespace's teardown) when the spec ends.
func ExampleNewTransient() {
	It("creates an addressed bridge in a namespace of its own", func() {
		ns := netns.NewTransient()
		br := link.NewTransient(&netlink.Bridge{}, "br-",
			link.InNamespace(ns), link.WithAddress("192.0.2.1/24"), link.WithUp())
		Expect(br.Attrs().Index).To(BeNumerically(">", 0))
	})
}

// EnsureAllUp sets links up first and then waits for each: a veth end only
// comes up together with its peer.
func ExampleEnsureAllUp() {
	It("brings both ends of a pair up", func() {
		ns := netns.NewTransient()
		dupond, dupont := link.NewTransientPair(
			&netlink.Veth{PeerNamespace: netlink.NsFd(ns)}, "veth-", link.InNamespace(ns))
		link.EnsureAllUp(dupond, dupont)
	})
}

// OptFor builds a kind-specific option that refuses links of other kinds.
func ExampleOptFor() {
	withAgeing := func(seconds uint32) link.Opt {
		return link.OptFor("withAgeing", func(br *netlink.Bridge) error {
			br.AgeingTime = &seconds
			return nil
		})
	}
	_ = func(t *testing.T) {
		link.NewTransientT(t, &netlink.Bridge{}, "br-", link.InNamespace(netns.NewTransientT(t)), withAgeing(30))
	}
}

// Transient link names are a prefix and random characters, 15 in all.
func ExampleRandomNifname() {
	name := link.RandomNifname("veth-")
	fmt.Println(len(name), strings.HasPrefix(name, "veth-"))
	// Output: 15 true
}
