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

var _ = Describe("transient tuntap links, which the kernel creates through /dev/net/tun", func() {

	BeforeEach(func() {
		guard.SkipUnlessPrivileged()
		link.SkipUnlessSupported("tuntap")
	})

	It("creates the device in its destination namespace, not in the calling thread's", func() {
		defer netns.EnterTransient()()
		here := netns.Current()
		ns := netns.NewTransient()

		tap := link.NewTransient(&netlink.Tuntap{Mode: netlink.TUNTAP_MODE_TAP}, "tap-", link.InNamespace(ns))

		found, err := netns.NewNetlinkHandle(ns).LinkByIndex(tap.Attrs().Index)
		Expect(err).NotTo(HaveOccurred())
		Expect(found.Attrs().Name).To(Equal(tap.Attrs().Name))
		Expect(found.(*netlink.Tuntap).Mode).To(Equal(netlink.TUNTAP_MODE_TAP))
		Expect(testsupport.LinkNames(here)).To(ConsistOf("lo"))
	})

	It("creates the device in the link namespace when no destination is given", func() {
		ns := netns.NewTransient()

		tun := link.NewTransient(&netlink.Tuntap{Mode: netlink.TUNTAP_MODE_TUN}, "tun-", link.WithLinkNamespace(ns))

		Expect(tun.Attrs().Namespace).To(Equal(netlink.NsFd(ns)))
		Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo", tun.Attrs().Name))
	})

	It("never attaches to an existing device of the same name", func() {
		ns := netns.NewTransient()
		tmpl := &netlink.Tuntap{Mode: netlink.TUNTAP_MODE_TAP, Flags: netlink.TUNTAP_NO_PI}
		first := link.NewTransient(tmpl, "tap-", link.InNamespace(ns))

		tmpl.Name = first.Attrs().Name
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { link.NewTransientT(t, tmpl, "tap-", link.InNamespace(ns)) })

		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			HavePrefix(`cannot create transient link "`+first.Attrs().Name+`" of type "tuntap"`),
			ContainSubstring("device or resource busy"))))
		Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo", first.Attrs().Name))
	})

	DescribeTable("refuses tuntaps that would not be fd-less and persistent",
		func(tmpl *netlink.Tuntap) {
			ns := netns.NewTransient()
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) { link.NewTransientT(t, tmpl, "tap-", link.InNamespace(ns)) })
			Expect(rec.Failures()).To(ConsistOf(ContainSubstring(
				"a transient tuntap must be persistent and hold no file descriptors")))
			Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo"))
		},
		Entry("non-persistent", &netlink.Tuntap{Mode: netlink.TUNTAP_MODE_TAP, NonPersist: true}),
		Entry("with queues", &netlink.Tuntap{Mode: netlink.TUNTAP_MODE_TAP, Queues: 2}),
	)

	It("probes tun support under both names, although the tun driver refuses rtnetlink creation", func() {
		for _, kind := range []string{"tuntap", "tun"} {
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) { link.SkipUnlessSupportedT(t, kind) })
			Expect(rec.Skips()).To(BeEmpty(), kind)
			Expect(rec.Failures()).To(BeEmpty(), kind)
		}
	})
})
