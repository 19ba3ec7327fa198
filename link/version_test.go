package link_test

import (
	"fmt"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
)

var _ = Describe("kernel versions", func() {

	It("compares the running kernel's major.minor version", func() {
		release, ok, err := link.KernelAtLeast(2, 6)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeTrue(), "kernel %s is at least 2.6", release)
		_, ok, err = link.KernelAtLeast(99, 0)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse())
	})

	It("lets a spec go on with a new enough kernel", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { link.SkipUnlessKernelT(t, "old-feature", 3, 0) })
		Expect(rec.Skips()).To(BeEmpty())
		Expect(rec.Failures()).To(BeEmpty())
	})

	It("skips naming the version needed and this kernel's, even where every kind is required", func() {
		GinkgoT().Setenv(link.RequireKindsEnv, "all")
		release, _, err := link.KernelAtLeast(0, 0)
		Expect(err).NotTo(HaveOccurred())
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { link.SkipUnlessKernelT(t, "future-kind", 99, 1) })
		Expect(rec.Failures()).To(BeEmpty())
		Expect(rec.Skips()).To(ConsistOf(fmt.Sprintf("kernel %s is too old for future-kind, which needs Linux 99.1 or later", release)))
	})
})

var _ = Describe("requiring kinds", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("lets \"-kind\" exclude a kind from \"all\"", func() {
		GinkgoT().Setenv(link.RequireKindsEnv, "all,-nosuchkind")
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { link.SkipUnlessSupportedT(t, "nosuchkind") })
		Expect(rec.Failures()).To(BeEmpty())
		Expect(rec.Skips()).To(ConsistOf(ContainSubstring(`kernel does not support link type "nosuchkind"`)))

		GinkgoT().Setenv(link.RequireKindsEnv, "all")
		rec = &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { link.SkipUnlessSupportedT(t, "nosuchkind") })
		Expect(rec.Failures()).To(ConsistOf(ContainSubstring("requires it")))
	})
})
