package link_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
)

// newParent returns one end of a veth pair living entirely in ns.
func newParent(ns int) netlink.Link {
	GinkgoHelper()
	return link.NewTransient(&netlink.Veth{PeerNamespace: netlink.NsFd(ns)}, "veth-", link.InNamespace(ns))
}

var _ = Describe("links stacked on a parent", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("stacks on the parent found in the link namespace and lands in the destination", func() {
		parentNs, ns := netns.NewTransient(), netns.NewTransient()
		parent := newParent(parentNs)

		mcvl := link.NewStacked(&netlink.Macvlan{Mode: netlink.MACVLAN_MODE_BRIDGE}, "mcvl-", parent,
			link.InNamespace(ns), link.WithLinkNamespace(parentNs))

		Expect(mcvl.Attrs().ParentIndex).To(Equal(parent.Attrs().Index))
		found, err := netns.NewNetlinkHandle(ns).LinkByIndex(mcvl.Attrs().Index)
		Expect(err).NotTo(HaveOccurred())
		Expect(found.Type()).To(Equal("macvlan"))
		Expect(found.Attrs().ParentIndex).To(Equal(parent.Attrs().Index))
	})

	It("sets a vxlan's underlay device rather than its parent index", func() {
		ns := netns.NewTransient()
		underlay := newParent(ns)

		vx := link.NewStacked(&netlink.Vxlan{VxlanId: 42, Port: 4789}, "vxlan-", underlay, link.WithLinkNamespace(ns))

		found, err := netns.NewNetlinkHandle(ns).LinkByIndex(vx.Attrs().Index)
		Expect(err).NotTo(HaveOccurred())
		Expect(found.(*netlink.Vxlan).VtepDevIndex).To(Equal(underlay.Attrs().Index))
	})

	DescribeTable("refusing parents it would not find, before anything is created",
		func(makeCall func(parentNs, ns int) func(t testing.TB), reason string) {
			parentNs, ns := netns.NewTransient(), netns.NewTransient()
			testsupport.ExpectRefused(makeCall(parentNs, ns), ns, `cannot create transient link with prefix "mcvl-", reason: `, reason)
		},
		Entry("parent in another namespace without WithLinkNamespace", func(parentNs, ns int) func(t testing.TB) {
			parent := newParent(parentNs)
			return func(t testing.TB) {
				link.NewStackedT(t, &netlink.Macvlan{}, "mcvl-", parent, link.InNamespace(ns))
			}
		}, "lives in network namespace net:["),
		Entry("parent in another namespace than WithLinkNamespace names", func(parentNs, ns int) func(t testing.TB) {
			parent := newParent(parentNs)
			return func(t testing.TB) {
				link.NewStackedT(t, &netlink.Macvlan{}, "mcvl-", parent, link.WithLinkNamespace(ns))
			}
		}, "use WithLinkNamespace"),
		Entry("nil parent", func(parentNs, ns int) func(t testing.TB) {
			return func(t testing.TB) {
				link.NewStackedT(t, &netlink.Macvlan{}, "mcvl-", nil, link.InNamespace(ns))
			}
		}, "parent link is nil"),
		Entry("parent without index", func(parentNs, ns int) func(t testing.TB) {
			return func(t testing.TB) {
				link.NewStackedT(t, &netlink.Macvlan{}, "mcvl-", &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "nameonly"}},
					link.InNamespace(ns))
			}
		}, `parent "nameonly" has no index`),
	)
})
