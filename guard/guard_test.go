package guard_test

import (
	"os"
	"runtime"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
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
			ContainSubstring("the spec leaked file descriptors"),
			ContainSubstring("-> /dev/null"))))
	})
})
