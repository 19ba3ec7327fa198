package mynet_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/macvlan"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/sandbox"
	"github.com/scratchnet/scratchnet/veth"
)

// Rootless where user namespaces allow; never in the real host namespace.
func TestMain(m *testing.M) { sandbox.Main(m) }

func TestMyNet(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "my network code")
}

// Every spec leaks nothing, and the suite leaves the host as it found it.
var _ = guard.Suite()

var _ = Describe("my network code", func() {

	// Without root or user namespaces, skip saying how to get them.
	BeforeEach(guard.SkipUnlessPrivileged)

	It("joins two namespaces with a veth pair", func() {
		left, right := netns.NewTransient(), netns.NewTransient()
		dupond, dupont := veth.NewTransient(
			veth.InNamespace(left), veth.WithPeerNamespace(right))
		link.EnsureAllUp(dupond, dupont)

		netns.Execute(left, func() {
			// code under test runs in "left" here, sees dupond by index
			Expect(dupond.Attrs().Index).To(BeNumerically(">", 0))
		})
	})

	It("stacks a macvlan on a parent in another namespace", func() {
		parentNs, ns := netns.NewTransient(), netns.NewTransient()
		parent, _ := veth.NewTransient(
			veth.InNamespace(parentNs), veth.WithPeerNamespace(parentNs))
		mcvl := macvlan.NewTransient(parent,
			macvlan.WithLinkNamespace(parentNs), // where the parent is looked up
			macvlan.InNamespace(ns))             // where the macvlan goes
		Expect(mcvl.Attrs().Index).To(BeNumerically(">", 0))
	})
})
