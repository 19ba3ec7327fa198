package link_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/leaks"
	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/internal/scope"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

// These specs tell the two ways a transient link's cleanup ends it apart by
// looking from a cleanup that the test registers between the namespaces and
// the link: cleanups run last-in first-out, so it runs after the link's own
// cleanup and before the namespaces are closed.
var _ = Describe("guarantee: a link is left to its namespaces' teardown only where they die with it", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	// present reports whether a link with that index exists in the
	// namespace nsfd refers to.
	present := func(nsfd, index int) bool {
		GinkgoHelper()
		h, err := nsops.HandleAt(nsfd)
		Expect(err).NotTo(HaveOccurred())
		defer h.Close()
		_, err = h.LinkByIndex(index)
		return err == nil
	}

	It("leaves a veth between two of the test's own transient namespaces to their teardown, and nothing of it outlives them", func() {
		host := testsupport.HostSnapshot()
		var afterLinkCleanup bool
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			left, right := netns.NewTransientT(t), netns.NewTransientT(t)
			var dupond netlink.Link
			t.Cleanup(func() { afterLinkCleanup = present(left, dupond.Attrs().Index) })
			dupond, _ = veth.NewTransientT(t, veth.InNamespace(left), veth.WithPeerNamespace(right))
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(afterLinkCleanup).To(BeTrue(), "the link's cleanup deleted it itself")
		Expect(leaks.NewLines(host, testsupport.HostSnapshot())).To(BeEmpty())
	})

	It("deletes the link itself with DeleteExplicitly", func() {
		var afterLinkCleanup bool
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			left, right := netns.NewTransientT(t), netns.NewTransientT(t)
			var dupond netlink.Link
			t.Cleanup(func() { afterLinkCleanup = present(left, dupond.Attrs().Index) })
			dupond, _ = veth.NewTransientT(t, veth.InNamespace(left), veth.WithPeerNamespace(right), link.DeleteExplicitly())
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(afterLinkCleanup).To(BeFalse(), "the link was still there after its cleanup")
	})

	It("deletes a veth with its peer in a namespace that outlives the test", func() {
		outer := netns.NewTransient()
		var index int
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			ns := netns.NewTransientT(t)
			_, dupont := veth.NewTransientT(t, veth.InNamespace(ns), veth.WithPeerNamespace(outer))
			index = dupont.Attrs().Index
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(present(outer, index)).To(BeFalse(), "the peer outlived the test")
	})

	It("deletes a link in a namespace of the enclosing test, from a subtest", func() {
		outer := &testsupport.Recorder{}
		outer.Run(func(t testing.TB) {
			ns := netns.NewTransientT(t)
			var index int
			inner := &testsupport.Recorder{}
			inner.Run(func(t testing.TB) {
				dupond, _ := veth.NewTransientT(t, veth.InNamespace(ns), veth.WithPeerNamespace(ns))
				index = dupond.Attrs().Index
			})
			Expect(inner.Failures()).To(BeEmpty())
			Expect(present(ns, index)).To(BeFalse(), "the link outlived the subtest that made it")
		})
		Expect(outer.Failures()).To(BeEmpty())
	})

	It("deletes a link in a namespace the caller made and owns", func() {
		ns, err := nsops.Unshare()
		Expect(err).NotTo(HaveOccurred())
		defer unix.Close(ns)
		var index int
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			dupond, _ := veth.NewTransientT(t, veth.InNamespace(ns), veth.WithPeerNamespace(ns))
			index = dupond.Attrs().Index
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(present(ns, index)).To(BeFalse())
	})

	It("deletes a link in a namespace entered with EnterTransient and left", func() {
		var kept, index int
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			leave := netns.EnterTransientT(t)
			var err error
			kept, err = nsops.OpenCurrent()
			Expect(err).NotTo(HaveOccurred())
			dupond, _ := veth.NewTransientT(t)
			index = dupond.Attrs().Index
			leave()
		})
		defer unix.Close(kept)
		Expect(rec.Failures()).To(BeEmpty())
		Expect(present(kept, index)).To(BeFalse())
	})

	It("deletes a link in a namespace that something of another scope holds", func() {
		holder := &testsupport.Recorder{}
		var release func()
		var afterLinkCleanup bool
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			left, right := netns.NewTransientT(t), netns.NewTransientT(t)
			ino, err := nsops.Ino(right)
			Expect(err).NotTo(HaveOccurred())
			release = scope.Hold(scope.Of(holder), ino)
			var dupond netlink.Link
			t.Cleanup(func() { afterLinkCleanup = present(left, dupond.Attrs().Index) })
			dupond, _ = veth.NewTransientT(t, veth.InNamespace(left), veth.WithPeerNamespace(right))
		})
		release()
		Expect(rec.Failures()).To(BeEmpty())
		Expect(afterLinkCleanup).To(BeFalse(), "the link was left to a namespace another scope keeps alive")
	})

	It("deletes a link left to its namespace's teardown when something of another scope holds the namespace by then", func() {
		holder := &testsupport.Recorder{}
		var release func()
		var kept, index int
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			ns := netns.NewTransientT(t)
			dupond, _ := veth.NewTransientT(t, veth.InNamespace(ns), veth.WithPeerNamespace(ns))
			index = dupond.Attrs().Index
			// The hold comes after the link was left to the teardown.
			ino, err := nsops.Ino(ns)
			Expect(err).NotTo(HaveOccurred())
			release = scope.Hold(scope.Of(holder), ino)
			kept, err = nsops.Dup(ns)
			Expect(err).NotTo(HaveOccurred())
		})
		defer unix.Close(kept)
		release()
		Expect(rec.Failures()).To(BeEmpty())
		Expect(present(kept, index)).To(BeFalse(), "the link outlived the test in a namespace another scope keeps alive")
	})

	It("leaves addresses and routes in the test's own namespaces to their teardown", func() {
		var addrs []netlink.Addr
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			ns := netns.NewTransientT(t)
			var dupond netlink.Link
			t.Cleanup(func() {
				h, err := nsops.HandleAt(ns)
				Expect(err).NotTo(HaveOccurred())
				defer h.Close()
				addrs, err = h.AddrList(dupond, netlink.FAMILY_V4)
				Expect(err).NotTo(HaveOccurred())
			})
			dupond, _ = veth.NewTransientT(t, veth.InNamespace(ns), veth.WithPeerNamespace(ns))
			link.AddAddressT(t, dupond, "192.0.2.1/24")
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(addrs).To(HaveLen(1))
	})
})
