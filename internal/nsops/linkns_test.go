package nsops_test

import (
	"runtime"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/netns"
)

var _ = Describe("which namespace an existing link lives in, answered in one place", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	ino := func(fd int, assumed string, err error) uint64 {
		GinkgoHelper()
		Expect(err).NotTo(HaveOccurred())
		defer unix.Close(fd)
		i, err := nsops.Ino(fd)
		Expect(err).NotTo(HaveOccurred())
		return i
	}

	It("takes the wrapper's namespace, else LinkAttrs.Namespace, else the calling thread's, each as an fd of the caller's own", func() {
		a, b := netns.NewTransient(), netns.NewTransient()
		in := func(ns any) netlink.Link { return &netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Namespace: ns}} }

		Expect(ino(nsops.ExistingLinkNs(in(nil), netlink.NsFd(a)))).To(Equal(netns.Ino(a)))
		Expect(ino(nsops.ExistingLinkNs(in(netlink.NsFd(b)), nil))).To(Equal(netns.Ino(b)))
		Expect(ino(nsops.ExistingLinkNs(in(netlink.NsFd(a)), netlink.NsFd(a)))).To(Equal(netns.Ino(a)))

		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		fd, assumed, err := nsops.ExistingLinkNs(in(nil), nil)
		Expect(assumed).To(Equal(nsops.CallersNs), "nothing named a namespace")
		Expect(ino(fd, assumed, err)).To(Equal(netns.CurrentIno()))

		fd, assumed, err = nsops.ExistingLinkNs(in(netlink.NsFd(a)), nil)
		Expect(assumed).To(BeEmpty())
		Expect(fd).NotTo(Equal(a), "the caller gets an fd of its own")
		Expect(ino(fd, assumed, err)).To(Equal(netns.Ino(a)))
	})

	It("refuses a wrapper and a LinkAttrs.Namespace that name different namespaces, naming both", func() {
		a, b := netns.NewTransient(), netns.NewTransient()
		_, _, err := nsops.ExistingLinkNs(&netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Namespace: netlink.NsFd(b)}}, netlink.NsFd(a))
		Expect(err).To(MatchError(ContainSubstring("the wrapper's LinkNamespace names " + nsops.Describe(a) +
			" but its LinkAttrs.Namespace names " + nsops.Describe(b))))
	})

	It("refuses references of other types, naming the field", func() {
		_, _, err := nsops.ExistingLinkNs(&netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Namespace: netlink.NsPid(1)}}, nil)
		Expect(err).To(MatchError("LinkAttrs.Namespace must be nil or a netlink.NsFd, not a netlink.NsPid"))
		_, _, err = nsops.ExistingLinkNs(&netlink.Dummy{}, netlink.NsPid(1))
		Expect(err).To(MatchError("the wrapper's LinkNamespace must be nil or a netlink.NsFd, not a netlink.NsPid"))
	})

	It("finds a link by index only where that index has its name, and says how to name a namespace when none was named", func() {
		ns := netns.NewTransient()
		h := netns.NewNetlinkHandle(ns)
		lo, err := h.LinkByName("lo")
		Expect(err).NotTo(HaveOccurred())

		found, err := nsops.FindLink(h, ns, lo, "")
		Expect(err).NotTo(HaveOccurred())
		Expect(found.Attrs().Name).To(Equal("lo"))

		renamed := &netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: lo.Attrs().Index, Name: "elsewhere0"}}
		_, err = nsops.FindLink(h, ns, renamed, "")
		Expect(err).To(MatchError(`in ` + nsops.Describe(ns) + `, index 1 is link "lo"`))

		_, err = nsops.FindLink(h, ns, &netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: 999999, Name: "x"}}, nsops.CallersNs)
		Expect(err).To(MatchError(SatisfyAll(
			ContainSubstring("it names no network namespace, so it was looked for in the calling thread's "+nsops.Describe(ns)+", where no link has index 999999"),
			ContainSubstring("link.WrapWithLinkNamespace(l, nsfd)"),
			ContainSubstring("l.Attrs().Namespace = netlink.NsFd(nsfd)"))))

		_, err = nsops.FindLink(h, ns, &netlink.Device{LinkAttrs: netlink.LinkAttrs{Name: "nosuch0"}}, "")
		Expect(err).To(MatchError(`in ` + nsops.Describe(ns) + `, no link is named "nosuch0"`))
	})
})
