package netns_test

import (
	"os"
	"strconv"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/netns"
)

var _ = Describe("sysctls of a network namespace", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

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
	)

	It("changes what a real socket may do: ping sockets need ping_group_range", func() {
		// In a namespace that dies with the spec, nothing is restored: a
		// user namespace may not write back the value it reads (unmapped
		// group ids read as the overflow id).
		ns := netns.NewTransient()
		pingSocket := func() error {
			var err error
			netns.Execute(ns, func() {
				var fd int
				fd, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, unix.IPPROTO_ICMP)
				if err == nil {
					unix.Close(fd)
				}
			})
			return err
		}
		Expect(pingSocket()).To(MatchError(unix.EACCES), "ping sockets are off by default")
		gid := strconv.Itoa(os.Getegid())
		netns.SetSysctl(ns, "net.ipv4.ping_group_range", gid+" "+gid)
		Expect(netns.Sysctl(ns, "net.ipv4.ping_group_range")).To(Equal(gid + "\t" + gid))
		Expect(pingSocket()).To(Succeed())
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
