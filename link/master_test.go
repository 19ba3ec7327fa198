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

var _ = Describe("enslaving links to a master", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("enslaves a port and releases it at cleanup when both outlive the spec", func() {
		ns := netns.NewTransient()
		h := netns.NewNetlinkHandle(ns)
		master := link.NewTransient(&netlink.Bridge{}, "br-", link.InNamespace(ns))
		port := newParent(ns)

		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			link.EnslaveT(t, master, port)
			found, err := h.LinkByIndex(port.Attrs().Index)
			Expect(err).NotTo(HaveOccurred())
			Expect(found.Attrs().MasterIndex).To(Equal(master.Attrs().Index))
		})

		Expect(rec.Failures()).To(BeEmpty())
		found, err := h.LinkByIndex(port.Attrs().Index)
		Expect(err).NotTo(HaveOccurred())
		Expect(found.Attrs().MasterIndex).To(BeZero())
	})

	It("stays quiet when the spec deleted the port", func() {
		ns := netns.NewTransient()
		h := netns.NewNetlinkHandle(ns)
		master := link.NewTransient(&netlink.Bridge{}, "br-", link.InNamespace(ns))

		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			port := link.NewTransientT(t, &netlink.Veth{PeerNamespace: netlink.NsFd(ns)}, "veth-", link.InNamespace(ns))
			link.EnslaveT(t, master, port)
			Expect(h.LinkDel(port)).To(Succeed())
		})

		Expect(rec.Failures()).To(BeEmpty())
		Expect(rec.Logs()).To(BeEmpty())
		Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo", master.Attrs().Name))
	})
})
