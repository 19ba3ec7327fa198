package nsops_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/netns"
)

var _ = Describe("which namespace a link lives in, answered in one place", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("reads LinkAttrs.Namespace: an fd's namespace, or the calling thread's for nil", func() {
		fd := netns.NewTransient()
		in := &netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Namespace: netlink.NsFd(fd)}}
		Expect(nsops.LinkNsIno(in)).To(Equal(netns.Ino(fd)))
		Expect(nsops.LinkNsIno(&netlink.Dummy{})).To(Equal(netns.CurrentIno()))

		own, err := nsops.OpenLinkNs(in)
		Expect(err).NotTo(HaveOccurred())
		defer unix.Close(own)
		Expect(own).NotTo(Equal(fd), "the caller gets an fd of its own")
		Expect(nsops.SameNs(own, fd)).To(BeTrue())
		Expect(nsops.SameNs(own, netns.NewTransient())).To(BeFalse())
	})

	It("refuses references of other types, naming the field", func() {
		_, err := nsops.OpenLinkNs(&netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Namespace: netlink.NsPid(1)}})
		Expect(err).To(MatchError("LinkAttrs.Namespace must be nil or a netlink.NsFd, not a netlink.NsPid"))
	})
})
