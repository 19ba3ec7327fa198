package lab_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/lab"
)

var _ = Describe("the far end of an interface", func() {
	BeforeEach(guard.SkipUnlessPrivileged)

	It("is the other host's interface for a wire, and the bridge port in the segment's namespace for a segment member", func() {
		l := lab.New()
		alice, bob := l.Host("alice"), l.Host("bob")
		a, b := l.Connect(alice, bob)
		ns, far := a.FarEnd()
		Expect(sameNs(ns, bob.Netns())).To(BeTrue())
		Expect(far.Attrs().Index).To(Equal(b.Link.Attrs().Index))
		Expect(far.Attrs().Name).To(Equal("alice"))

		lan := l.Segment("lan")
		member := lan.Attach(alice)[0]
		ns, port := member.FarEnd()
		Expect(sameNs(ns, lan.Netns())).To(BeTrue())
		Expect(port.Attrs().MasterIndex).To(Equal(lan.Bridge().Attrs().Index))
		Expect(port.Attrs().Name).To(Equal("alice"))
	})
})

// sameNs tells whether two fds refer to the same namespace.
func sameNs(a, b int) bool {
	GinkgoHelper()
	ia, err := nsops.Ino(a)
	Expect(err).NotTo(HaveOccurred())
	ib, err := nsops.Ino(b)
	Expect(err).NotTo(HaveOccurred())
	return ia == ib
}
