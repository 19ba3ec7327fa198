package link_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
)

var _ = Describe("kernel support for link features", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("lets a spec go on when the kernel can create the link", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { link.SkipUnlessCreatableT(t, "plain-bridge", &netlink.Bridge{}) })
		Expect(rec.Skips()).To(BeEmpty())
		Expect(rec.Failures()).To(BeEmpty())
	})

	It("skips naming the feature when the kernel answers EOPNOTSUPP", func() {
		GinkgoT().Setenv(link.RequireKindsEnv, "")
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			link.SkipUnlessCreatableT(t, "no-such-feature", &netlink.GenericLink{LinkType: "nosuchkind"})
		})
		Expect(rec.Skips()).To(ConsistOf(
			`kernel does not support no-such-feature (creating a "nosuchkind" link with it fails with EOPNOTSUPP)`))
	})

	It("fails instead of skipping when the environment requires the feature", func() {
		for _, req := range []string{"all", "veth,no-such-feature"} {
			GinkgoT().Setenv(link.RequireKindsEnv, req)
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) {
				link.SkipUnlessCreatableT(t, "no-such-feature", &netlink.GenericLink{LinkType: "nosuchkind"})
			})
			Expect(rec.Skips()).To(BeEmpty())
			Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
				HavePrefix("cannot run spec needing no-such-feature"),
				ContainSubstring("kernel does not support no-such-feature"))))
		}
	})

	It("fails clearly for a nil template", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { link.SkipUnlessCreatableT(t, "nil-feature", (*netlink.Bridge)(nil)) })
		Expect(rec.Failures()).To(ConsistOf(
			"cannot probe kernel support for nil-feature, reason: link template is nil"))
	})
})

var _ = Describe("the kernel-support probe for ipvlan, which vishvananda/netlink will not request without a parent", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("skips exactly when creating an ipvlan on a veth fails for missing kernel support", func() {
		GinkgoT().Setenv(link.RequireKindsEnv, "")
		ns := netns.NewTransient()
		parent := newParent(ns)
		probe := &testsupport.Recorder{}
		probe.Run(func(t testing.TB) { link.SkipUnlessSupportedT(t, "ipvlan") })
		create := &testsupport.Recorder{}
		create.Run(func(t testing.TB) {
			link.NewStackedT(t, &netlink.IPVlan{}, "ipvl-", parent, link.WithLinkNamespace(ns))
		})

		Expect(probe.Failures()).To(BeEmpty())
		if len(probe.Skips()) == 0 {
			Expect(create.Failures()).To(BeEmpty())
			return
		}
		Expect(probe.Skips()).To(ConsistOf(HavePrefix(`kernel does not support link type "ipvlan"`)))
		Expect(create.Failures()).To(ConsistOf(ContainSubstring(`kernel does not support link type "ipvlan"`)))
	})
})
