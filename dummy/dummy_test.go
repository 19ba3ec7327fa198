package dummy_test

import (
	"errors"
	"net"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/dummy"
	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
)

const unsupported = `kernel does not support link type "dummy"`

// kernelHasDummy asks the kernel directly, without the link package, whether
// it creates dummy links: in a namespace of its own, which takes the link
// with it when it goes.
func kernelHasDummy() bool {
	GinkgoHelper()
	h := netns.NewNetlinkHandle(netns.NewTransient())
	err := h.LinkAdd(&netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: "probe0"}})
	if errors.Is(err, unix.EOPNOTSUPP) {
		return false
	}
	Expect(err).NotTo(HaveOccurred())
	return true
}

var _ = Describe("transient dummy links", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("creates a dummy link, down, in a namespace and reports its index there", func() {
		link.SkipUnlessSupported("dummy")
		ns := netns.NewTransient()
		h := netns.NewNetlinkHandle(ns)
		// Occupy index 2, so that an index taken from a fresh namespace shows.
		Expect(h.LinkAdd(&netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: "decoy"}})).To(Succeed())

		d := dummy.NewTransient(dummy.InNamespace(ns))

		Expect(d.Attrs().Name).To(MatchRegexp(`^` + dummy.DummyPrefix + `[0-9a-zA-Z]{10}$`))
		Expect(d.Attrs().Name).To(HaveLen(15))
		Expect(d.Attrs().Namespace).To(Equal(netlink.NsFd(ns)))
		found, err := h.LinkByName(d.Attrs().Name)
		Expect(err).NotTo(HaveOccurred())
		Expect(found.Type()).To(Equal("dummy"))
		Expect(found.Attrs().Index).To(Equal(d.Attrs().Index))
		Expect(found.Attrs().Flags & net.FlagUp).To(BeZero())
	})

	It("creates a dummy link up, in operational state UNKNOWN", func() {
		link.SkipUnlessSupported("dummy")
		ns := netns.NewTransient()

		d := dummy.NewTransientUp(dummy.InNamespace(ns))

		found, err := netns.NewNetlinkHandle(ns).LinkByIndex(d.Attrs().Index)
		Expect(err).NotTo(HaveOccurred())
		Expect(found.Attrs().Name).To(Equal(d.Attrs().Name))
		Expect(found.Attrs().Flags & net.FlagUp).NotTo(BeZero())
		Expect(found.Attrs().OperState).To(Equal(netlink.LinkOperState(netlink.OperUnknown)))
	})

	It("creates a dummy link where the kernel has the driver, and says the kernel lacks it otherwise", func() {
		ns := netns.NewTransient()
		h := netns.NewNetlinkHandle(ns)
		has := kernelHasDummy()

		probe := &testsupport.Recorder{}
		probe.Run(func(t testing.TB) { link.SkipUnlessSupportedT(t, "dummy") })
		var name string
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			d := dummy.NewTransientT(t, dummy.InNamespace(ns))
			name = d.Attrs().Name
			found, err := h.LinkByIndex(d.Attrs().Index)
			Expect(err).NotTo(HaveOccurred())
			Expect(found.Attrs().Name).To(Equal(name))
			Expect(found.Type()).To(Equal("dummy"))
		})

		if has {
			By("creating and deleting a dummy link, as the kernel has the driver")
			Expect(probe.Skips()).To(BeEmpty())
			Expect(probe.Failures()).To(BeEmpty())
			Expect(rec.Failures()).To(BeEmpty())
			Expect(name).To(HavePrefix(dummy.DummyPrefix))
		} else {
			By("saying that the kernel lacks dummy links")
			// A skip, or a failure where SCRATCHNET_REQUIRE_KINDS demands dummy.
			Expect(append(probe.Skips(), probe.Failures()...)).To(ConsistOf(ContainSubstring(unsupported)))
			Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
				HavePrefix(`cannot create transient link "`+dummy.DummyPrefix),
				ContainSubstring(`of type "dummy"`),
				ContainSubstring(unsupported))))
		}
		Expect(rec.Logs()).To(BeEmpty())
		Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo"), "nothing is left after cleanup")
	})

	It("fails clearly on a bad namespace and creates nothing", func() {
		ns := netns.NewTransient()
		host := testsupport.HostSnapshot()

		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			dummy.NewTransientT(t, dummy.InNamespace(ns), dummy.InNamespace(-1))
			t.Errorf("NewTransientT returned")
		})

		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			HavePrefix(`cannot create transient link with prefix "`+dummy.DummyPrefix+`"`),
			ContainSubstring("InNamespace(-1)"),
			ContainSubstring("invalid file descriptor -1"))))
		Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo"))
		Expect(testsupport.HostSnapshot()).To(Equal(host))
	})
})
