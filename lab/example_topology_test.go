package lab_test

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/lab"
)

// A generator builds a whole topology in one call, addressed for both
// families; AutoRoute then gives every host a route to every subnet.
func ExampleLab_LeafSpine() {
	It("reaches a host in another rack across the fabric", func() {
		l := lab.New()
		fabric := l.LeafSpine(2, 4, 8) // spines s1, s2; leaves l1 ... l4; racks of 8 hosts, h1 ... h32
		l.AutoRoute()
		first, last := fabric.Hosts[0], fabric.Hosts[31]
		Expect(first).To(lab.Reach(last, lab.IPv4()))
		Expect(first).To(lab.Reach(last, lab.IPv6()))
	})
}

// Star, Chain and Tree build the other shapes; NamePrefix keeps the names
// of two generated topologies in one lab apart.
func ExampleLab_Chain() {
	It("joins a chain of routers and a tree", func() {
		l := lab.New()
		chain := l.Chain(3, lab.HostPerRouter())  // r1 - r2 - r3, host hN on router rN
		tree := l.Tree(2, 2, lab.NamePrefix("t")) // router tr1, routers tr2 and tr3, hosts th1 ... th4
		l.Connect(chain.Routers[2], tree.Routers[0])
		l.AutoRoute()
		Expect(chain.Hosts[0]).To(lab.Reach(tree.Hosts[3]))
	})
}

// AutoRoute routes a lab built by hand just as well: traffic crosses only
// routers, over shortest paths.
func ExampleLab_AutoRoute() {
	It("routes alice to the hosts behind two routers", func() {
		l := lab.New()
		alice, r1, r2 := l.Host("alice"), l.Router("r1"), l.Router("r2")
		bob, carol := l.Host("bob"), l.Host("carol")
		l.Connect(alice, r1)
		l.Connect(r1, r2)
		l.Segment("lan").Attach(r2, bob, carol)
		l.AutoRoute() // alice: default via r1; r1: lan via r2; bob and carol: default via r2
		Expect(alice).To(lab.Reach(carol, lab.IPv6()))
	})
}

// A segment's automatic subnet is a /24, 254 members; Members sizes it
// for more. Star does that for its hosts.
func ExampleMembers() {
	It("puts 300 hosts on one segment", func() {
		l := lab.New()
		lan := l.Segment("lan", lab.Members(300)) // 10.0.2.0/23
		for n := range 300 {
			lan.Attach(l.Host(fmt.Sprintf("h%d", n+1)))
		}
	})
}

// The failure report of a lab of more than 16 hosts describes the hosts
// that the failure message names, here h7 and h30, and those that
// ReportInFull marks, and counts the rest.
func ExampleLab_ReportInFull() {
	It("shows the hosts the spec is about when it fails", func() {
		l := lab.New()
		star := l.Star(40)
		l.ReportInFull(star.Hosts[0]) // h1, too
		Expect(star.Hosts[6]).To(lab.Reach(star.Hosts[29]))
	})
}
