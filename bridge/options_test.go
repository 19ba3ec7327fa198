package bridge_test

import (
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/bridge"
	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
)

var readBack = testsupport.ReadBack[*netlink.Bridge]

var _ = Describe("bridge options", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("sets ageing time, hello time and multicast snooping, as the kernel reports back", func() {
		ns := netns.NewTransient()
		plain := readBack(ns, bridge.NewTransient(bridge.InNamespace(ns)))
		Expect(plain.MulticastSnooping).NotTo(BeNil(),
			"the kernel reports no multicast snooping state: it lacks CONFIG_BRIDGE_IGMP_SNOOPING")

		br := readBack(ns, bridge.NewTransient(bridge.InNamespace(ns),
			bridge.WithAgeingTime(42*time.Second), bridge.WithHelloTime(5*time.Second),
			bridge.WithMulticastSnooping(!*plain.MulticastSnooping)))

		Expect(*br.AgeingTime).To(Equal(uint32(4200)), "centiseconds")
		Expect(*br.HelloTime).To(Equal(uint32(500)), "centiseconds")
		Expect(*br.MulticastSnooping).To(Equal(!*plain.MulticastSnooping))
		Expect(*plain.AgeingTime).NotTo(Equal(*br.AgeingTime), "the kernel's default differs")
		Expect(*plain.HelloTime).NotTo(Equal(*br.HelloTime), "the kernel's default differs")
	})

	It("sets an ageing time of zero, which the kernel keeps", func() {
		ns := netns.NewTransient()
		br := readBack(ns, bridge.NewTransient(bridge.InNamespace(ns), bridge.WithAgeingTime(0)))
		Expect(*br.AgeingTime).To(BeZero())
	})

	DescribeTable("refusing times the kernel cannot take, before anything is created",
		func(opt bridge.Opt, reason string) {
			ns := netns.NewTransient()
			testsupport.ExpectRefused(func(t testing.TB) { bridge.NewTransientT(t, bridge.InNamespace(ns), opt) },
				ns, `cannot create transient link with prefix "br-", reason: `, reason)
		},
		Entry("a hello time below 1s", bridge.WithHelloTime(500*time.Millisecond), "WithHelloTime(500ms): hello time 500ms is outside the kernel's range of 1s to 10s"),
		Entry("a hello time above 10s", bridge.WithHelloTime(11*time.Second), "outside the kernel's range"),
		Entry("a hello time between centiseconds", bridge.WithHelloTime(time.Second+time.Millisecond), "WithHelloTime(1.001s): 1.001s is not a whole number of centiseconds"),
		Entry("a negative ageing time", bridge.WithAgeingTime(-time.Second), "WithAgeingTime(-1s): -1s is not a whole number of centiseconds"),
	)

	It("refuses its options for other kinds", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			link.NewTransientT(t, &netlink.Veth{}, "veth-", bridge.WithMulticastSnooping(false))
		})
		Expect(rec.Failures()).To(ConsistOf(ContainSubstring("WithMulticastSnooping(false): applies to *netlink.Bridge links, not to *netlink.Veth")))
	})
})
