package guard_test

import (
	"fmt"
	"net"
	"os"
	"regexp"
	"runtime"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	vnetlink "github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

var _ = Describe("users could not do what our own suites do: the guard and the privilege skip are public", func() {

	It("lets a privileged spec go on", func() {
		if os.Geteuid() != 0 {
			Skip("needs root, or sandbox.Main with user namespaces enabled: this spec checks the privileged side")
		}
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { guard.SkipUnlessPrivilegedT(t) })
		Expect(rec.Skips()).To(BeEmpty())
		Expect(rec.Failures()).To(BeEmpty())
	})

	It("skips, saying how to get the privilege, where the process lacks CAP_SYS_ADMIN", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			// Capabilities belong to a thread: drop CAP_SYS_ADMIN from this
			// one only, which is never unlocked and so retired afterwards.
			runtime.LockOSThread()
			hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
			var data [2]unix.CapUserData
			Expect(unix.Capget(&hdr, &data[0])).To(Succeed())
			data[unix.CAP_SYS_ADMIN/32].Effective &^= 1 << (unix.CAP_SYS_ADMIN % 32)
			Expect(unix.Capset(&hdr, &data[0])).To(Succeed())
			guard.SkipUnlessPrivilegedT(t)
			t.Errorf("not skipped")
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(rec.Skips()).To(ConsistOf(HavePrefix(
			"needs root, or sandbox.Main in TestMain with unprivileged user namespaces enabled (missing CAP_SYS_ADMIN")))
	})

	It("passes a plain test that cleans up after itself", func() {
		guard.SkipUnlessPrivileged()
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			guard.T(t)
			veth.NewTransientT(t, veth.InNamespace(netns.NewTransientT(t)), veth.WithAddress("10.6.0.1/24"))
		})
		Expect(rec.Failures()).To(BeEmpty())
	})

	It("fails a plain test that leaks a file descriptor, naming it", func() {
		rec := &testsupport.Recorder{}
		var leaked int
		rec.Run(func(t testing.TB) {
			guard.T(t)
			var err error
			leaked, err = unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
			Expect(err).NotTo(HaveOccurred())
		})
		unix.Close(leaked)
		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			ContainSubstring("the test leaked file descriptors"),
			ContainSubstring("-> /dev/null"))))
	})

	It("runs next to the suite's own SynchronizedBeforeSuite and SynchronizedAfterSuite", func() {
		Expect(fromProc1).To(Equal("made on process 1"))
		c, err := net.Dial("udp", server.LocalAddr().String())
		Expect(err).NotTo(HaveOccurred())
		defer c.Close()
		Expect(c.Write([]byte("ping"))).To(Equal(4))
		buf := make([]byte, 16)
		Expect(c.SetReadDeadline(time.Now().Add(5 * time.Second))).To(Succeed())
		n, err := c.Read(buf)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(buf[:n])).To(Equal("ping"))
	})

	It("says what each leaked fd is: a socket's family, addresses and namespace, a pipe's end", func() {
		guard.SkipUnlessPrivileged()
		rec := &testsupport.Recorder{}
		var conn net.PacketConn
		// Two pipes: in a parallel run the guard forgives one new pipe,
		// Ginkgo's output interceptor's.
		var pipe, other [2]int
		var ns int
		rec.Run(func(t testing.TB) {
			guard.T(t)
			ns = netns.NewTransient()
			netns.Execute(ns, func() {
				var err error
				conn, err = net.ListenPacket("udp", "127.0.0.1:0")
				Expect(err).NotTo(HaveOccurred())
			})
			Expect(unix.Pipe2(pipe[:], unix.O_CLOEXEC)).To(Succeed())
			Expect(unix.Pipe2(other[:], unix.O_CLOEXEC)).To(Succeed())
		})
		conn.Close()
		for _, fd := range append(pipe[:], other[:]...) {
			unix.Close(fd)
		}
		Expect(rec.Failures()).To(ContainElement(SatisfyAll(
			ContainSubstring("the test leaked file descriptors"),
			MatchRegexp(`-> socket:\[\d+\] \(inet udp, local %s, in net:\[%d\]\)`,
				regexp.QuoteMeta(conn.LocalAddr().String()), netns.Ino(ns)),
			MatchRegexp(`%d -> pipe:\[\d+\] \(read end of a pipe\)`, pipe[0]),
			MatchRegexp(`%d -> pipe:\[\d+\] \(write end of a pipe\)`, pipe[1]))))
	})

	It("says how the host namespace changed: what was added, removed and changed, not two full lists", func() {
		guard.SkipUnlessPrivileged()
		h, err := vnetlink.NewHandle(unix.NETLINK_ROUTE)
		Expect(err).NotTo(HaveOccurred())
		defer h.Close()
		lo, err := h.LinkByName("lo")
		Expect(err).NotTo(HaveOccurred())
		mtu := lo.Attrs().MTU
		addr, err := vnetlink.ParseAddr("192.0.2.77/32")
		Expect(err).NotTo(HaveOccurred())
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			guard.T(t)
			Expect(h.AddrAdd(lo, addr)).To(Succeed())
			Expect(h.LinkSetMTU(lo, 1500)).To(Succeed())
		})
		Expect(h.AddrDel(lo, addr)).To(Succeed())
		Expect(h.LinkSetMTU(lo, mtu)).To(Succeed())
		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			ContainSubstring("the test changed the host's network namespace"),
			HaveSuffix("it changed:\n"+
				fmt.Sprintf("    ~ link lo mtu %d -> 1500\n", mtu)+
				"    + address 192.0.2.77/32 dev lo\n"))))
	})
})

var _ = Describe("a spec that changes the host namespace and leaves it so", Label(deliberateFailure), func() {

	It("fails in the guard's check, which prints the diff", func() {
		guard.SkipUnlessPrivileged()
		h, err := vnetlink.NewHandle(unix.NETLINK_ROUTE)
		Expect(err).NotTo(HaveOccurred())
		defer h.Close()
		Expect(h.LinkAdd(&vnetlink.Bridge{LinkAttrs: vnetlink.LinkAttrs{Name: "left-behind"}})).To(Succeed())
		lo, err := h.LinkByName("lo")
		Expect(err).NotTo(HaveOccurred())
		addr, err := vnetlink.ParseAddr("192.0.2.78/32")
		Expect(err).NotTo(HaveOccurred())
		Expect(h.AddrAdd(lo, addr)).To(Succeed())
	})
})
