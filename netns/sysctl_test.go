package netns_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/netns"
)

var _ = Describe("sysctls of a network namespace", func() {

	BeforeEach(testsupport.NeedsRoot)

	DescribeTable("sets a key in the namespace only, and restores it at cleanup when the namespace outlives the spec",
		func(key, value string) {
			ns, other := netns.NewTransient(), netns.NewTransient()
			before, otherBefore := netns.Sysctl(ns, key), netns.Sysctl(other, key)
			Expect(before).NotTo(Equal(value), "the spec must change something")
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) {
				Expect(netns.SetSysctlT(t, ns, key, value)).To(Equal(before))
				Expect(netns.Sysctl(ns, key)).To(Equal(value))
				Expect(netns.Sysctl(other, key)).To(Equal(otherBefore))
			})
			Expect(rec.Failures()).To(BeEmpty())
			Expect(netns.Sysctl(ns, key)).To(Equal(before))
		},
		Entry("forwarding", "net.ipv4.ip_forward", "1"),
		Entry("IPv6 forwarding, in slash form", "net/ipv6/conf/all/forwarding", "1"),
		Entry("reverse path filter", "net.ipv4.conf.all.rp_filter", "2"),
		Entry("duplicate address detection", "net.ipv6.conf.default.accept_dad", "0"),
		Entry("IPv6 off", "net.ipv6.conf.default.disable_ipv6", "1"),
		Entry("ping sockets for group 0", "net.ipv4.ping_group_range", "0\t0"),
	)

	It("changes the value a real socket sees: ping sockets need ping_group_range", func() {
		ns := netns.NewTransient()
		netns.SetSysctl(ns, "net.ipv4.ping_group_range", "0 2147483647")
		Expect(netns.Sysctl(ns, "net.ipv4.ping_group_range")).To(Equal("0\t2147483647"))
	})

	It("fails clearly for keys the kernel does not know, values it refuses, and keys outside net.", func() {
		ns := netns.NewTransient()
		for _, c := range []struct{ key, value, reason string }{
			{"net.ipv4.no_such_knob", "1", `cannot set sysctl "net.ipv4.no_such_knob" to "1" in `},
			{"net.ipv4.ip_forward", "banana", "the kernel refuses the value"},
			{"kernel.hostname", "x", `only keys under "net." belong to a network namespace`},
			{"net/../kernel/hostname", "x", "not a sysctl key"},
		} {
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) { netns.SetSysctlT(t, ns, c.key, c.value) })
			Expect(rec.Failures()).To(ConsistOf(SatisfyAll(HavePrefix(`cannot set sysctl "`+c.key+`"`), ContainSubstring(c.reason))))
		}
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { netns.SetSysctlT(t, ns, "net.ipv4.no_such_knob", "1") })
		Expect(rec.Failures()).To(ConsistOf(ContainSubstring("the kernel has no such key")))
	})
})
