package veth_test

import (
	"errors"
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

// nameRE is what every end of a transient veth pair is called: the prefix and
// random characters, 15 characters in all.
const nameRE = `^veth-[0-9a-zA-Z]{10}$`

// addDecoys fills the namespace behind h with a veth pair of its own, so that
// the next link created there gets an index that differs from the index a
// link created at the same time in a fresh namespace gets: an index taken
// from the wrong namespace then shows.
func addDecoys(h *netlink.Handle) {
	GinkgoHelper()
	Expect(h.LinkAdd(&netlink.Veth{
		LinkAttrs: netlink.LinkAttrs{Name: "decoy-a"},
		PeerName:  "decoy-b",
	})).To(Succeed())
}

// expectLinkAt expects the link named like l to exist behind h, with l's
// index and of type veth.
func expectLinkAt(h *netlink.Handle, l netlink.Link) {
	GinkgoHelper()
	found, err := h.LinkByName(l.Attrs().Name)
	Expect(err).NotTo(HaveOccurred())
	Expect(found.Type()).To(Equal("veth"))
	Expect(found.Attrs().Index).To(Equal(l.Attrs().Index),
		"index of %q in its own namespace", l.Attrs().Name)
}

func expectNoLinkAt(h *netlink.Handle, name string) {
	GinkgoHelper()
	_, err := h.LinkByName(name)
	Expect(errors.As(err, new(netlink.LinkNotFoundError))).To(BeTrue(),
		"expected no link %q, got error %v", name, err)
}

var _ = Describe("transient veth pairs", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("names both ends with VethPrefix and gives each the index and namespace it really has", func() {
		left, right := netns.NewTransient(), netns.NewTransient()
		hl, hr := netns.NewNetlinkHandle(left), netns.NewNetlinkHandle(right)
		addDecoys(hl) // dupond's index in left now differs from dupont's in right

		dupond, dupont := veth.NewTransient(veth.InNamespace(left), veth.WithPeerNamespace(right))

		for _, end := range []netlink.Link{dupond, dupont} {
			Expect(end.Attrs().Name).To(HavePrefix(veth.VethPrefix))
			Expect(end.Attrs().Name).To(HaveLen(15))
			Expect(end.Attrs().Name).To(MatchRegexp(nameRE))
		}
		Expect(dupond.Attrs().Name).NotTo(Equal(dupont.Attrs().Name))
		Expect(dupond.Attrs().Index).NotTo(Equal(dupont.Attrs().Index))

		Expect(dupond.Attrs().Namespace).To(Equal(netlink.NsFd(left)))
		Expect(dupont.Attrs().Namespace).To(Equal(netlink.NsFd(right)))

		expectLinkAt(hl, dupond)
		expectLinkAt(hr, dupont)
		expectNoLinkAt(hl, dupont.Attrs().Name)
		expectNoLinkAt(hr, dupond.Attrs().Name)
	})

	It("leaves the peer in the calling thread's namespace when only InNamespace is given (the kernel's rule)", func() {
		defer netns.EnterTransient()()
		here := netns.Current()
		other := netns.NewTransient()
		hh, ho := netns.NewNetlinkHandle(here), netns.NewNetlinkHandle(other)
		addDecoys(hh) // dupont's index here now differs from dupond's in other

		dupond, dupont := veth.NewTransient(veth.InNamespace(other))

		Expect(dupond.Attrs().Namespace).To(Equal(netlink.NsFd(other)))
		Expect(dupont.Attrs().Namespace).To(BeNil(), "the peer is in the calling thread's namespace")
		expectLinkAt(ho, dupond)
		expectLinkAt(hh, dupont)
		expectNoLinkAt(ho, dupont.Attrs().Name)
		Expect(testsupport.LinkNames(other)).To(ConsistOf("lo", dupond.Attrs().Name))
	})

	It("never modifies the template", func() {
		left, right := netns.NewTransient(), netns.NewTransient()
		tmpl := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{MTU: 1280}}
		twin := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{MTU: 1280}}

		dupond, dupont := link.NewTransientPair(tmpl, veth.VethPrefix,
			veth.InNamespace(left), veth.WithPeerNamespace(right))

		Expect(tmpl).To(Equal(twin))
		Expect(dupond).NotTo(BeIdenticalTo(tmpl))
		found, err := netns.NewNetlinkHandle(left).LinkByIndex(dupond.Attrs().Index)
		Expect(err).NotTo(HaveOccurred())
		Expect(found.Attrs().Name).To(Equal(dupond.Attrs().Name))
		Expect(found.Attrs().MTU).To(Equal(1280), "the template's settings are used")
		Expect(dupont.Attrs().Name).To(MatchRegexp(nameRE))
	})

	It("brings both ends operationally up", func() {
		left, right := netns.NewTransient(), netns.NewTransient()
		dupond, dupont := veth.NewTransient(veth.InNamespace(left), veth.WithPeerNamespace(right))

		link.EnsureAllUp(dupond, dupont)

		for ns, end := range map[int]netlink.Link{left: dupond, right: dupont} {
			found, err := netns.NewNetlinkHandle(ns).LinkByIndex(end.Attrs().Index)
			Expect(err).NotTo(HaveOccurred())
			Expect(found.Attrs().Name).To(Equal(end.Attrs().Name))
			Expect(found.Attrs().OperState).To(Equal(netlink.LinkOperState(netlink.OperUp)), end.Attrs().Name)
		}
	})

	It("says the peer is down when one end of a pair across namespaces cannot come up", func() {
		left, right := netns.NewTransient(), netns.NewTransient()
		dupond, _ := veth.NewTransient(veth.InNamespace(left), veth.WithPeerNamespace(right))

		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { link.EnsureUpT(t, dupond, 100*time.Millisecond) })

		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			HavePrefix(`cannot bring up link "`+dupond.Attrs().Name+`"`),
			ContainSubstring("after 100ms"),
			ContainSubstring("its veth peer is down"))))
	})
})

var _ = Describe("cleaning up transient veth pairs", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("deletes the pair at cleanup", func() {
		left, right := netns.NewTransient(), netns.NewTransient()
		hl, hr := netns.NewNetlinkHandle(left), netns.NewNetlinkHandle(right)
		var dupond, dupont netlink.Link

		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			dupond, dupont = veth.NewTransientT(t, veth.InNamespace(left), veth.WithPeerNamespace(right))
			expectLinkAt(hl, dupond)
			expectLinkAt(hr, dupont)
		})

		Expect(rec.Failures()).To(BeEmpty())
		Expect(rec.Logs()).To(BeEmpty())
		Expect(dupond).NotTo(BeNil())
		expectNoLinkAt(hl, dupond.Attrs().Name)
		expectNoLinkAt(hr, dupont.Attrs().Name)
		Expect(testsupport.LinkNames(left)).To(ConsistOf("lo"))
		Expect(testsupport.LinkNames(right)).To(ConsistOf("lo"))
	})

	It("stays quiet when the spec deleted the pair itself", func() {
		left, right := netns.NewTransient(), netns.NewTransient()
		hl := netns.NewNetlinkHandle(left)

		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			dupond, _ := veth.NewTransientT(t, veth.InNamespace(left), veth.WithPeerNamespace(right))
			Expect(hl.LinkDel(dupond)).To(Succeed())
		})

		Expect(rec.Failures()).To(BeEmpty())
		Expect(rec.Logs()).To(BeEmpty())
		Expect(testsupport.LinkNames(left)).To(ConsistOf("lo"))
		Expect(testsupport.LinkNames(right)).To(ConsistOf("lo"))
	})

	It("leaves a link alone that took the old name after the spec deleted the pair, and says so", func() {
		left, right := netns.NewTransient(), netns.NewTransient()
		hl := netns.NewNetlinkHandle(left)
		var name string

		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			dupond, _ := veth.NewTransientT(t, veth.InNamespace(left), veth.WithPeerNamespace(right))
			name = dupond.Attrs().Name
			Expect(hl.LinkDel(dupond)).To(Succeed())
			// Not transient: it vanishes with the namespace.
			Expect(hl.LinkAdd(&netlink.Veth{
				LinkAttrs: netlink.LinkAttrs{Name: name},
				PeerName:  "successor-peer",
			})).To(Succeed())
		})

		Expect(rec.Failures()).To(BeEmpty())
		Expect(rec.Logs()).To(ConsistOf(SatisfyAll(
			ContainSubstring(`transient link "`+name+`"`),
			ContainSubstring("is gone"),
			ContainSubstring("alone"))))
		Expect(testsupport.LinkNames(left)).To(ConsistOf("lo", name, "successor-peer"))
	})
})

var _ = Describe("refusing bad peer namespaces", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	closedFd := func() int {
		f, err := os.Open(os.DevNull)
		Expect(err).NotTo(HaveOccurred())
		fd := int(f.Fd())
		Expect(f.Close()).To(Succeed())
		return fd
	}
	devnull := func() int {
		f, err := os.Open(os.DevNull)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(f.Close)
		return int(f.Fd())
	}

	DescribeTable("fails clearly and creates nothing",
		func(fdOf func() int, reason string) {
			left := netns.NewTransient()
			host := testsupport.HostSnapshot()
			peerFd := fdOf()

			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) {
				veth.NewTransientT(t, veth.InNamespace(left), veth.WithPeerNamespace(peerFd))
				t.Errorf("NewTransientT returned")
			})

			Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
				HavePrefix("cannot create transient link"),
				ContainSubstring("WithPeerNamespace"),
				ContainSubstring(reason))))
			Expect(rec.Logs()).To(BeEmpty())
			Expect(testsupport.LinkNames(left)).To(ConsistOf("lo"))
			Expect(testsupport.HostSnapshot()).To(Equal(host))
		},
		Entry("negative fd", func() int { return -1 }, "invalid file descriptor -1"),
		Entry("closed fd", closedFd, "is not open"),
		Entry("/dev/null", devnull, "is not a namespace reference"),
	)
})
