package compat_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/dummy"
	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/macvlan"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

var _ = Describe("veth, as notwork users call it", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("creates a pair across two namespaces (NewTransient, InNamespace, WithPeerNamespace, Opt, VethPrefix)", func() {
		dupondnetnsfd, dupontnetnsfd := netns.NewTransient(), netns.NewTransient()
		opts := []veth.Opt{veth.InNamespace(dupondnetnsfd), veth.WithPeerNamespace(dupontnetnsfd)}
		dupond, dupont := veth.NewTransient(opts...)
		Expect(dupond.Attrs().Name).To(HavePrefix(veth.VethPrefix))
		Expect(dupont.Attrs().Name).To(HavePrefix(veth.VethPrefix))
		_, err := netns.NewNetlinkHandle(dupondnetnsfd).LinkByName(dupond.Attrs().Name)
		Expect(err).NotTo(HaveOccurred())
		peer, err := netns.NewNetlinkHandle(dupontnetnsfd).LinkByName(dupont.Attrs().Name)
		Expect(err).NotTo(HaveOccurred())
		Expect(peer.Attrs().Index).To(Equal(dupont.Attrs().Index))
	})
})

var _ = Describe("dummy, as notwork users call it", func() {

	BeforeEach(func() {
		guard.SkipUnlessPrivileged()
		link.SkipUnlessSupported("dummy")
	})

	It("creates a dummy, and one that is up (NewTransient, NewTransientUp, InNamespace, Opt, DummyPrefix)", func() {
		netnsfd := netns.NewTransient()
		opts := []dummy.Opt{dummy.InNamespace(netnsfd)}
		down := dummy.NewTransient(opts...)
		up := dummy.NewTransientUp(opts...)
		Expect(down.Attrs().Name).To(HavePrefix(dummy.DummyPrefix))
		nlh := netns.NewNetlinkHandle(netnsfd)
		found, err := nlh.LinkByIndex(up.Attrs().Index)
		Expect(err).NotTo(HaveOccurred())
		Expect(found.Attrs().OperState).To(Equal(netlink.LinkOperState(netlink.OperUnknown)))
		found, err = nlh.LinkByIndex(down.Attrs().Index)
		Expect(err).NotTo(HaveOccurred())
		Expect(found.Attrs().OperState).To(Equal(netlink.LinkOperState(netlink.OperDown)))
	})
})

var _ = Describe("macvlan, as notwork users call it", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("creates a macvlan on a parent in another namespace (NewTransient, InNamespace, WithLinkNamespace, WithMode, Opt, MacvlanPrefix)", func() {
		parentnetnsfd, netnsfd := netns.NewTransient(), netns.NewTransient()
		parent, _ := veth.NewTransient(veth.InNamespace(parentnetnsfd), veth.WithPeerNamespace(parentnetnsfd))
		opts := []macvlan.Opt{
			macvlan.WithLinkNamespace(parentnetnsfd),
			macvlan.InNamespace(netnsfd),
			macvlan.WithMode(netlink.MACVLAN_MODE_PRIVATE),
		}
		mcvlan := macvlan.NewTransient(parent, opts...)
		Expect(mcvlan.Attrs().Name).To(HavePrefix(macvlan.MacvlanPrefix))
		found, err := netns.NewNetlinkHandle(netnsfd).LinkByIndex(mcvlan.Attrs().Index)
		Expect(err).NotTo(HaveOccurred())
		Expect(found.(*netlink.Macvlan).Mode).To(Equal(netlink.MACVLAN_MODE_PRIVATE))
	})

	It("creates a macvlan with the deprecated CreateTransient", func() {
		defer netns.EnterTransient()()
		parent, _ := veth.NewTransient()
		mcvlan := macvlan.CreateTransient(parent)
		found, err := netlink.LinkByIndex(mcvlan.Attrs().Index)
		Expect(err).NotTo(HaveOccurred())
		Expect(found.(*netlink.Macvlan).Mode).To(Equal(netlink.MACVLAN_MODE_BRIDGE))
		Expect(found.Attrs().ParentIndex).To(Equal(parent.Attrs().Index))
	})

	It("locates a hardware parent, and fails where there is none (LocateHWParent)", func() {
		netnsfd := netns.NewTransient()
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			netns.ExecuteT(t, netnsfd, func() { macvlan.LocateHWParentT(t) })
		})
		Expect(rec.Failures()).To(ConsistOf(HavePrefix("cannot locate a hardware parent interface")))
	})
})
