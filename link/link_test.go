package link_test

import (
	"net"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
)

// notworkLink is the shape of notwork's link.Link: converting it to ours
// compiles only while ours has exactly these fields, in this order, which is
// what its users' unkeyed literals link.Link{l, ns} rely on. (go vet flags
// unkeyed literals of another package's struct; an anonymous one it does not.)
type notworkLink = struct {
	netlink.Link
	LinkNamespace any
}

var _ = Describe("the Link wrapper", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("has notwork's two fields, and a literal of them resolves references in its link namespace", func() {
		parentNs, ns := netns.NewTransient(), netns.NewTransient()
		br := link.NewTransient(&netlink.Bridge{}, "br-", link.InNamespace(parentNs))
		tmpl := link.Link(notworkLink{&netlink.Macvlan{
			LinkAttrs: netlink.LinkAttrs{ParentIndex: br.Attrs().Index},
			Mode:      netlink.MACVLAN_MODE_BRIDGE,
		}, netlink.NsFd(parentNs)})
		mcvl := link.NewTransient(&tmpl, "mcvl-", link.InNamespace(ns), link.WithUp())
		found, err := netns.NewNetlinkHandle(ns).LinkByIndex(mcvl.Attrs().Index)
		Expect(err).NotTo(HaveOccurred())
		Expect(found.Attrs().ParentIndex).To(Equal(br.Attrs().Index))
		Expect(found.Attrs().Flags & net.FlagUp).NotTo(BeZero())
	})

	It("keeps creation settings with the creation call, so an option applied by hand says so", func() {
		tmpl := &link.Link{Link: &netlink.Bridge{}}
		for _, opt := range []link.Opt{link.WithAddress("10.0.0.1/24"), link.WithUp(), link.WithPeerAddress("10.0.0.2/24"),
			link.WithPeerUp(), link.GoesWithNamespace()} {
			Expect(opt(tmpl)).To(MatchError(ContainSubstring("works only as an option passed to a link creation such as NewTransient")))
		}
		Expect(tmpl).To(Equal(&link.Link{Link: &netlink.Bridge{}}))
	})
})
