package compat_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

// withMTU is an option written as notwork's users write their own: a
// link.Opt working on the *link.Link.
func withMTU(mtu int) link.Opt {
	return func(l *link.Link) error {
		l.Attrs().MTU = mtu
		return nil
	}
}

var _ = Describe("link, as notwork users call it", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("creates a transient link from a template with options (NewTransient, InNamespace, Opt)", func() {
		netnsfd := netns.NewTransient()
		br := link.NewTransient(&netlink.Bridge{}, "brtest-", link.InNamespace(netnsfd), withMTU(1400))
		Expect(br.Attrs().Name).To(HavePrefix("brtest-"))
		Expect(br.Attrs().Name).To(HaveLen(15))
		found, err := netns.NewNetlinkHandle(netnsfd).LinkByName(br.Attrs().Name)
		Expect(err).NotTo(HaveOccurred())
		Expect(found.Attrs().MTU).To(Equal(1400))
	})

	It("resolves a parent in the link namespace of an unkeyed link.Link literal (Link, WithLinkNamespace)", func() {
		parentnetnsfd, netnsfd := netns.NewTransient(), netns.NewTransient()
		parent, _ := veth.NewTransient(veth.InNamespace(parentnetnsfd), veth.WithPeerNamespace(parentnetnsfd))
		mcvlan := link.NewTransient(&link.Link{&netlink.Macvlan{
			LinkAttrs: netlink.LinkAttrs{ParentIndex: parent.Attrs().Index},
			Mode:      netlink.MACVLAN_MODE_BRIDGE,
		}, netlink.NsFd(parentnetnsfd)}, "mcvl-", link.InNamespace(netnsfd))
		found, err := netns.NewNetlinkHandle(netnsfd).LinkByIndex(mcvlan.Attrs().Index)
		Expect(err).NotTo(HaveOccurred())
		Expect(found.Attrs().ParentIndex).To(Equal(parent.Attrs().Index))

		again := link.NewTransient(&netlink.Macvlan{
			LinkAttrs: netlink.LinkAttrs{ParentIndex: parent.Attrs().Index},
			Mode:      netlink.MACVLAN_MODE_BRIDGE,
		}, "mcvl-", link.WithLinkNamespace(parentnetnsfd), link.InNamespace(netnsfd))
		Expect(again.Attrs().Index).To(BeNumerically(">", 0))
	})

	It("wraps and unwraps link namespaces (WrapWithLinkNamespace, EnsureWrap, Unwrap)", func() {
		netnsfd := netns.NewTransient()
		plain := &netlink.Dummy{}
		wrapped := link.WrapWithLinkNamespace(plain, netnsfd)
		l, ns := link.Unwrap(wrapped)
		Expect(l).To(BeIdenticalTo(plain))
		Expect(ns).To(Equal(netlink.NsFd(netnsfd)))
		Expect(link.EnsureWrap(wrapped)).To(BeIdenticalTo(wrapped))
		l, ns = link.Unwrap(link.EnsureWrap(plain))
		Expect(l).To(BeIdenticalTo(plain))
		Expect(ns).To(BeNil())
	})

	It("brings a link up and waits for it (EnsureUp)", func() {
		defer netns.EnterTransient()()
		dupond, dupont := veth.NewTransient()
		Expect(netlink.LinkSetUp(dupont)).To(Succeed())
		link.EnsureUp(dupond, 2*time.Second)
		found, err := netlink.LinkByIndex(dupond.Attrs().Index)
		Expect(err).NotTo(HaveOccurred())
		Expect(found.Attrs().OperState).To(Equal(netlink.LinkOperState(netlink.OperUp)))
	})

	It("draws random interface names of the maximum length (RandomNifname)", func() {
		name := link.RandomNifname("foo-")
		Expect(name).To(MatchRegexp(`^foo-[0-9a-zA-Z]{11}$`))
		Expect(link.RandomNifname("foo-")).NotTo(Equal(name))
	})
})
