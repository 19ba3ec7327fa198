package ensure_test

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netdevsim/ensure"
)

var _ = Describe("making netdevsim available", func() {

	It("says the kernel lacks netdevsim where a sysfs root has no bus", func() {
		root := GinkgoT().TempDir()
		Expect(ensure.NetdevsimRoot(root)).To(BeFalse())
		Expect(ensure.Check(root)).To(MatchError(ContainSubstring("kernel does not support netdevsim (no " + filepath.Join(root, "sys/bus/netdevsim") + ")")))
	})

	It("needs to write to the bus's new_device", func() {
		root := GinkgoT().TempDir()
		bus := filepath.Join(root, "sys", "bus", "netdevsim")
		Expect(os.MkdirAll(bus, 0o755)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(bus, "new_device"), nil, 0o200)).To(Succeed())
		Expect(ensure.Check(root)).To(Succeed())
		Expect(ensure.NetdevsimRoot(root)).To(BeTrue())

		Expect(os.Chmod(filepath.Join(bus, "new_device"), 0o000)).To(Succeed())
		if err := ensure.Check(root); err != nil {
			Expect(err).To(MatchError(HavePrefix("needs root: netdevsim devices are made by writing to")))
		} else {
			// Root with CAP_DAC_OVERRIDE writes anything it owns.
			Expect(os.Geteuid()).To(BeZero())
		}
	})

	It("skips or fails, as the run requires, with the reason", func() {
		err := ensure.Check("/")
		GinkgoT().Setenv(link.RequireKindsEnv, "")
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { ensure.SkipUnlessNetdevsimT(t) })
		if err == nil {
			Expect(rec.Skips()).To(BeEmpty())
			Expect(rec.Failures()).To(BeEmpty())
			Expect(ensure.Netdevsim()).To(BeTrue())
			return
		}
		Expect(rec.Failures()).To(BeEmpty())
		Expect(rec.Skips()).To(ConsistOf(Or(HavePrefix("needs root"), HavePrefix("kernel does not support netdevsim"))))

		GinkgoT().Setenv(link.RequireKindsEnv, "all")
		rec = &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { ensure.SkipUnlessNetdevsimT(t) })
		if len(rec.Skips()) > 0 {
			By("a missing privilege stays a skip")
			Expect(rec.Skips()).To(ConsistOf(HavePrefix("needs root")))
		} else {
			Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
				HavePrefix("cannot run spec needing netdevsim, reason: kernel does not support netdevsim"),
				ContainSubstring("requires it"))))
		}

		GinkgoT().Setenv(link.RequireKindsEnv, "all,-netdevsim")
		rec = &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { ensure.SkipUnlessNetdevsimT(t) })
		Expect(rec.Failures()).To(BeEmpty())
		Expect(rec.Skips()).To(HaveLen(1))
	})
})
