package netns_test

import (
	"errors"
	"net"
	"os"
	"sync"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/netns"
)

// inosOfFreshGoroutines reports the network namespaces that n new goroutines
// find themselves in, each on whatever thread the scheduler gives it.
func inosOfFreshGoroutines(n int) map[uint64]int {
	var mu sync.Mutex
	var wg sync.WaitGroup
	inos := map[uint64]int{}
	for range n {
		wg.Add(1)
		go func() {
			defer GinkgoRecover()
			defer wg.Done()
			var st unix.Stat_t
			Expect(unix.Stat("/proc/thread-self/ns/net", &st)).To(Succeed())
			mu.Lock()
			inos[st.Ino]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	return inos
}

var _ = Describe("transient network namespaces", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("enters a new namespace and returns to the original one", func() {
		orig := netns.CurrentIno()
		restore := netns.EnterTransient()
		inside := netns.CurrentIno()
		Expect(inside).NotTo(Equal(orig))
		restore()
		Expect(netns.CurrentIno()).To(Equal(orig))
		Expect(inosOfFreshGoroutines(100)).To(HaveLen(1))
		Expect(inosOfFreshGoroutines(100)).To(HaveKey(orig))
	})

	It("has lo up in a new namespace, so binding 127.0.0.1 and ::1 works", func() {
		defer netns.EnterTransient()()
		lo, err := netlink.LinkByName("lo")
		Expect(err).NotTo(HaveOccurred())
		Expect(lo.Attrs().Flags & net.FlagUp).NotTo(BeZero())
		for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
			l, err := net.Listen("tcp", addr)
			Expect(err).NotTo(HaveOccurred())
			Expect(l.Close()).To(Succeed())
		}
	})

	It("creates a namespace without entering it", func() {
		orig := netns.CurrentIno()
		fd := netns.NewTransient()
		Expect(netns.CurrentIno()).To(Equal(orig))
		Expect(netns.Ino(fd)).NotTo(Equal(orig))
		netns.Execute(fd, func() {
			Expect(netns.CurrentIno()).To(Equal(netns.Ino(fd)))
			lo, err := netlink.LinkByName("lo")
			Expect(err).NotTo(HaveOccurred())
			Expect(lo.Attrs().Flags & net.FlagUp).NotTo(BeZero())
		})
		Expect(netns.CurrentIno()).To(Equal(orig))
	})

	It("closes a transient namespace's fd at cleanup", func() {
		var fd int
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			fd = netns.NewTransientT(t)
			Expect(unix.IoctlRetInt(fd, unix.NS_GET_NSTYPE)).To(Equal(unix.CLONE_NEWNET))
		})
		Expect(rec.Failures()).To(BeEmpty())
		_, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		Expect(err).To(MatchError(unix.EBADF))
	})

	It("restores the namespace when fn panics inside Execute, and lets the panic through", func() {
		orig := netns.CurrentIno()
		fd := netns.NewTransient()
		boom := errors.New("boom")
		Expect(func() {
			netns.Execute(fd, func() { panic(boom) })
		}).To(PanicWith(boom))
		Expect(netns.CurrentIno()).To(Equal(orig))
		Expect(inosOfFreshGoroutines(100)).To(Equal(map[uint64]int{orig: 100}))
	})
})

var _ = Describe("identifying network namespaces", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("gives the same inode number for an fd and for a path to one namespace", func() {
		Expect(netns.Ino("/proc/self/ns/net")).To(Equal(netns.Ino(netns.Current())))
		type nsPath string
		Expect(netns.Ino(nsPath("/proc/self/ns/net"))).To(Equal(netns.Ino("/proc/thread-self/ns/net")))
	})

	It("assigns an nsid once and then keeps reporting it", func() {
		fd := netns.NewTransient()
		id := netns.NsID(fd)
		Expect(id).To(BeNumerically(">=", 0))
		Expect(netns.NsID(fd)).To(Equal(id))
	})

	It("binds a netlink handle to a namespace whatever the caller's namespace", func() {
		fd := netns.NewTransient()
		h := netns.NewNetlinkHandle(fd)
		links, err := h.LinkList()
		Expect(err).NotTo(HaveOccurred())
		Expect(links).To(HaveLen(1))
		Expect(links[0].Attrs().Name).To(Equal("lo"))
	})

	It("binds every netlink family of a handle, so that an XFRM policy lands in the handle's namespace, not in the caller's (a bound handle silently talked to the wrong namespace)", func() {
		target, caller := netns.NewTransient(netns.WithName("target")), netns.NewTransient(netns.WithName("caller"))
		h := netns.NewNetlinkHandle(target)
		_, src, _ := net.ParseCIDR("10.1.0.0/24")
		_, dst, _ := net.ParseCIDR("10.2.0.0/24")
		var err error
		netns.Execute(caller, func() {
			err = h.XfrmPolicyAdd(&netlink.XfrmPolicy{Src: src, Dst: dst, Dir: netlink.XFRM_DIR_OUT})
		})
		if errors.Is(err, unix.ECONNREFUSED) {
			Skip("kernel does not support netlink family NETLINK_XFRM (xfrm_user not loaded): the request failed, as it must")
		}
		Expect(err).NotTo(HaveOccurred())
		Expect(netns.NewNetlinkHandle(target).XfrmPolicyList(netlink.FAMILY_ALL)).To(HaveLen(1))
		Expect(netns.NewNetlinkHandle(caller).XfrmPolicyList(netlink.FAMILY_ALL)).To(BeEmpty())
	})

	It("still works for NETLINK_ROUTE where other families are missing, and fails their requests", func() {
		h := netns.NewNetlinkHandle(netns.NewTransient())
		Expect(h.LinkByName("lo")).NotTo(BeNil())
		// NETLINK_RDMA needs ib_core, which few kernels running tests have.
		_, err := h.RdmaLinkList()
		if err == nil {
			Skip("kernel supports NETLINK_RDMA here, so no family is missing")
		}
		Expect(err).To(MatchError(unix.ECONNREFUSED))
	})
})

var _ = Describe("refusing references that are not network namespaces", func() {

	devnull := func() int {
		f, err := os.Open(os.DevNull)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(f.Close)
		return int(f.Fd())
	}
	mntns := func() int {
		f, err := os.Open("/proc/self/ns/mnt")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(f.Close)
		return int(f.Fd())
	}
	closedFd := func() int {
		f, err := os.Open(os.DevNull)
		Expect(err).NotTo(HaveOccurred())
		fd := int(f.Fd())
		Expect(f.Close()).To(Succeed())
		return fd
	}

	DescribeTable("every fd-taking helper fails with a clear message",
		func(fdOf func() int, reason string) {
			fd := fdOf()
			helpers := map[string]func(t testing.TB){
				"Execute":          func(t testing.TB) { netns.ExecuteT(t, fd, func() {}) },
				"Ino":              func(t testing.TB) { netns.InoT(t, fd) },
				"NsID":             func(t testing.TB) { netns.NsIDT(t, fd) },
				"NewNetlinkHandle": func(t testing.TB) { netns.NewNetlinkHandleT(t, fd) },
			}
			for name, call := range helpers {
				rec := &testsupport.Recorder{}
				rec.Run(call)
				Expect(rec.Failures()).To(ConsistOf(
					SatisfyAll(HavePrefix("cannot "), ContainSubstring(reason))), name)
			}
		},
		Entry("negative fd", func() int { return -1 }, "invalid file descriptor -1"),
		Entry("closed fd", closedFd, "is not open"),
		Entry("/dev/null", devnull, "is not a namespace reference"),
		Entry("mount namespace", mntns, "refers to a mount namespace, not a network namespace"),
	)

	It("refuses a path that is not a network namespace", func() {
		for path, reason := range map[string]string{
			"/dev/null":          "is not a namespace reference",
			"/proc/self/ns/mnt":  "refers to a mount namespace",
			"/nonexisting/netns": "no such file or directory",
		} {
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) { netns.InoT(t, path) })
			Expect(rec.Failures()).To(ConsistOf(
				SatisfyAll(HavePrefix("cannot determine inode number of network namespace "+path), ContainSubstring(reason))))
		}
	})
})

var _ = Describe("transient namespaces made in teardown nodes", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	// Ginkgo refuses failure hooks (DeferOnFailure) in teardown nodes and
	// exits the suite when asked for one; the helpers must not ask there.
	AfterEach(func() {
		fd := netns.NewTransient()
		Expect(netns.Ino(fd)).NotTo(Equal(netns.CurrentIno()))
	})

	It("are possible in AfterEach", func() {
		Expect(netns.CurrentIno()).To(Equal(netns.Ino("/proc/self/ns/net")))
	})
})

var _ = Describe("transient namespaces appeared in reports as \"transient network namespace (fd 12)\": WithName tells them apart", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("names left and right in the report of a failing plain test", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			netns.NewTransientT(t, netns.WithName("left"))
			netns.NewTransientT(t, netns.WithName("right"))
			t.Error("something went wrong")
		})
		Expect(rec.Logs()).To(ConsistOf(
			SatisfyAll(
				MatchRegexp(`^scratchnet transient network namespace "left" \(created at .*/netns/netns_test\.go:\d+\)\n`),
				MatchRegexp(`\ntransient network namespace "left" \(network namespace net:\[\d+\]\)\n\s+1: lo`)),
			SatisfyAll(
				MatchRegexp(`^scratchnet transient network namespace "right" \(created at .*/netns/netns_test\.go:\d+\)\n`),
				MatchRegexp(`\ntransient network namespace "right" \(network namespace net:\[\d+\]\)\n\s+1: lo`)),
		))
	})

	It("names the namespace in the message of a failure to make it", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { netns.NewTransientT(t, netns.WithName(" ")) })
		Expect(rec.Failures()).To(ConsistOf("cannot create transient network namespace, reason: WithName(\"\"): the name is empty"))
	})
})
