package compat_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/netns"
)

var _ = Describe("netns, as notwork users call it", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("enters a transient network namespace and switches back (EnterTransient, CurrentIno)", func() {
		hostIno := netns.CurrentIno()
		var transientIno uint64
		func() {
			defer netns.EnterTransient()()
			transientIno = netns.CurrentIno()
		}()
		Expect(transientIno).NotTo(Equal(hostIno))
		Expect(netns.CurrentIno()).To(Equal(hostIno))
	})

	It("creates a namespace without entering it and executes in it (NewTransient, Execute, Current, Ino)", func() {
		netnsfd := netns.NewTransient()
		Expect(netns.Ino(netnsfd)).NotTo(Equal(netns.CurrentIno()))
		netns.Execute(netnsfd, func() {
			Expect(netns.CurrentIno()).To(Equal(netns.Ino(netnsfd)))
			Expect(netns.Ino(netns.Current())).To(Equal(netns.Ino(netnsfd)))
			Expect(netns.Ino("/proc/thread-self/ns/net")).To(Equal(netns.Ino(netnsfd)))
		})
	})

	It("lists links through a handle of the namespace (NewNetlinkHandle)", func() {
		netnsfd := netns.NewTransient()
		nlh := netns.NewNetlinkHandle(netnsfd)
		links, err := nlh.LinkList()
		Expect(err).NotTo(HaveOccurred())
		Expect(links).To(ContainElement(HaveField("Attrs().Name", "lo")))
	})

	It("assigns and then keeps an nsid (NsID)", func() {
		netnsfd := netns.NewTransient()
		id := netns.NsID(netnsfd)
		Expect(id).To(BeNumerically(">=", 0))
		Expect(netns.NsID(netnsfd)).To(Equal(id))
	})
})
