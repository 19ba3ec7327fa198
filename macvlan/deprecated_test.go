package macvlan_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/macvlan"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

var _ = Describe("notwork's CreateTransient", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("creates a transient bridge-mode macvlan on a parent of the calling thread's namespace", func() {
		defer netns.EnterTransient()()
		here := netns.Current()
		parent, _ := veth.NewTransient()

		m := macvlan.CreateTransient(parent)

		Expect(m.Attrs().Name).To(MatchRegexp(nameRE))
		got := readBack(here, m)
		Expect(got.Mode).To(Equal(netlink.MACVLAN_MODE_BRIDGE))
		Expect(got.Attrs().ParentIndex).To(Equal(parent.Attrs().Index))
	})

	It("deletes it at cleanup", func() {
		ns := netns.NewTransient()
		parent := parentIn(ns)
		var name string
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			netns.ExecuteT(t, ns, func() {
				name = macvlan.CreateTransientT(t, parent).Attrs().Name
			})
			Expect(testsupport.LinkNames(ns)).To(ContainElement(name))
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(testsupport.LinkNames(ns)).NotTo(ContainElement(name))
	})
})
