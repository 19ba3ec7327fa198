package impair_test

import (
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/impair"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

// rootQdisc returns the root queueing discipline of l, which lives in ns.
func rootQdisc(ns int, l netlink.Link) netlink.Qdisc {
	GinkgoHelper()
	qdiscs, err := netns.NewNetlinkHandle(ns).QdiscList(l)
	Expect(err).NotTo(HaveOccurred())
	for _, q := range qdiscs {
		if q.Attrs().Parent == netlink.HANDLE_ROOT {
			return q
		}
	}
	return nil
}

var _ = Describe("impaired links", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	Context("rate limited by tbf", func() {

		BeforeEach(func() { impair.SkipUnlessSupported("tbf") })

		It("keeps a bulk TCP transfer well under a clean wire's throughput, and lets it through at full speed once removed", func() {
			w := newWire()
			srv := testsupport.ServeTCP(w.b, "10.13.0.2:0")
			const size = 128 << 10

			clean := testsupport.SendTCP(w.a, srv, size)
			imp := impair.Link(w.near, impair.Rate(1_000_000))
			Expect(imp.String()).To(HavePrefix("tbf rate 1Mbit"))
			limited := testsupport.SendTCP(w.a, srv, size)
			imp.Remove()
			again := testsupport.SendTCP(w.a, srv, size)

			By("clean " + clean.Took.String() + ", limited " + limited.Took.String() + ", clean again " + again.Took.String())
			Expect(limited.Mbits()).To(BeNumerically("<", 1.5), "throughput at 1 Mbit/s")
			Expect(limited.Mbits()).To(BeNumerically("<", clean.Mbits()/3), "well under the clean wire's throughput (by a margin that holds in emulated VMs too)")
			Expect(again.Mbits()).To(BeNumerically(">", 3*limited.Mbits()))
			Expect(imp.Active()).To(BeFalse())
		})

		It("changes the rate mid-spec and leaves the kernel's default queueing discipline at cleanup", func() {
			w := newWire()
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) {
				imp := impair.LinkT(t, w.near, impair.Rate(8_000_000), impair.Burst(20000))
				q, ok := rootQdisc(w.a, w.near).(*netlink.Tbf)
				Expect(ok).To(BeTrue())
				Expect(q.Rate).To(BeEquivalentTo(1_000_000), "bytes per second")
				imp.Change(impair.Rate(2_000_000))
				Expect(rootQdisc(w.a, w.near).(*netlink.Tbf).Rate).To(BeEquivalentTo(250_000))
			})
			Expect(rec.Failures()).To(BeEmpty())
			// The namespace belongs to the spec, not to the recorder's
			// scope: the impairment was removed explicitly.
			Expect(rootQdisc(w.a, w.near)).NotTo(BeAssignableToTypeOf(&netlink.Tbf{}))
			Expect(rootQdisc(w.a, w.near).Attrs().Handle).To(BeZero())
		})

		It("leaves a root queueing discipline alone that it did not add", func() {
			w := newWire()
			theirs := &netlink.Tbf{
				QdiscAttrs: netlink.QdiscAttrs{LinkIndex: w.near.Attrs().Index, Parent: netlink.HANDLE_ROOT, Handle: netlink.MakeHandle(1, 0)},
				Rate:       125000, Limit: 30000, Buffer: netlink.Xmittime(125000, 6000),
			}
			Expect(netns.NewNetlinkHandle(w.a).QdiscAdd(theirs)).To(Succeed())
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) { impair.LinkT(t, w.near, impair.Rate(2_000_000)) })
			Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
				HavePrefix(`cannot impair link "`+w.near.Attrs().Name+`"`),
				ContainSubstring(`root qdisc "tbf" (handle 1:0) that the library did not add`))))
			Expect(rootQdisc(w.a, w.near).Attrs().Handle).To(Equal(netlink.MakeHandle(1, 0)))
		})
	})

	It("refuses options that make no sense, naming them", func() {
		w := newWire()
		for _, c := range []struct {
			opts   []impair.Opt
			reason string
		}{
			{[]impair.Opt{impair.Loss(101)}, "Loss(101): a percentage is between 0 and 100"},
			{[]impair.Opt{impair.Rate(0)}, "Rate(0)"},
			{[]impair.Opt{impair.Rate(1e6), impair.Burst(100)}, "Burst(100)"},
			{[]impair.Opt{impair.Jitter(time.Millisecond)}, "Jitter and Reorder need a Delay"},
			{[]impair.Opt{impair.LossCorrelation(25)}, "LossCorrelation needs Loss"},
			{[]impair.Opt{impair.Delay(-time.Second)}, "Delay(-1s)"},
		} {
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) { impair.LinkT(t, w.near, c.opts...) })
			Expect(rec.Failures()).To(ConsistOf(SatisfyAll(HavePrefix("cannot impair link"), ContainSubstring(c.reason))))
		}
	})

	It("says which qdisc the kernel lacks, or fails under SCRATCHNET_REQUIRE_KINDS", func() {
		GinkgoT().Setenv("SCRATCHNET_REQUIRE_KINDS", "")
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { impair.SkipUnlessSupportedT(t, "scratchnetq") })
		Expect(rec.Skips()).To(ConsistOf(HavePrefix(`kernel does not support qdisc "scratchnetq"`)))

		GinkgoT().Setenv("SCRATCHNET_REQUIRE_KINDS", "tbf,scratchnetq")
		rec = &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { impair.SkipUnlessSupportedT(t, "scratchnetq") })
		Expect(rec.Failures()).To(ConsistOf(HavePrefix(`cannot run spec needing qdisc "scratchnetq", reason: kernel does not support qdisc "scratchnetq"`)))
	})

	Context("with netem", func() {

		BeforeEach(func() { impair.SkipUnlessSupported("netem") })

		It("raises round trips by the added delay, and by no less", func() {
			w := newWire()
			srv := testsupport.ServeTCP(w.b, "10.13.0.2:0")
			clean := testsupport.ConnectTime(w.a, srv.Addr(), 20)
			imp := impair.Link(w.near, impair.Delay(50*time.Millisecond))
			Expect(imp.String()).To(Equal("netem delay 50ms"))
			delayed := testsupport.ConnectTime(w.a, srv.Addr(), 3)
			By("round trip clean " + clean.String() + ", delayed " + delayed.String())
			Expect(delayed - clean).To(BeNumerically(">=", 50*time.Millisecond))
		})

		It("stops all traffic at 100% loss, and lets it through again once removed", func() {
			w := newWire()
			srv := testsupport.ServeTCP(w.b, "10.13.0.2:0")
			Expect(canConnect(w.a, srv.Addr(), 2*time.Second)).To(BeTrue())
			imp := impair.Link(w.near, impair.Loss(100))
			Expect(canConnect(w.a, srv.Addr(), 500*time.Millisecond)).To(BeFalse())
			imp.Remove()
			Expect(canConnect(w.a, srv.Addr(), 2*time.Second)).To(BeTrue())
		})

		It("sends every datagram twice at 100% duplication", func() {
			w := newWire()
			Expect(udpCount(w.a, w.b, 20)).To(Equal(20))
			impair.Link(w.near, impair.Duplicate(100))
			Expect(udpCount(w.a, w.b, 20)).To(Equal(40))
		})

		It("limits the rate inside netem too", func() {
			w := newWire()
			srv := testsupport.ServeTCP(w.b, "10.13.0.2:0")
			const size = 128 << 10
			clean := testsupport.SendTCP(w.a, srv, size)
			impair.Link(w.near, impair.NetemRate(1_000_000))
			limited := testsupport.SendTCP(w.a, srv, size)
			Expect(limited.Mbits()).To(BeNumerically("<", 1.5))
			Expect(limited.Mbits()).To(BeNumerically("<", clean.Mbits()/3), "well under the clean wire's throughput (by a margin that holds in emulated VMs too)")
		})

		It("delays, then shapes with tbf below netem", func() {
			w := newWire()
			srv := testsupport.ServeTCP(w.b, "10.13.0.2:0")
			clean := testsupport.ConnectTime(w.a, srv.Addr(), 20)
			imp := impair.Link(w.near, impair.Delay(50*time.Millisecond), impair.Rate(1_000_000))
			Expect(imp.String()).To(HavePrefix("netem delay 50ms, then tbf rate 1Mbit"))
			Expect(testsupport.ConnectTime(w.a, srv.Addr(), 3) - clean).To(BeNumerically(">=", 50*time.Millisecond))
			Expect(testsupport.SendTCP(w.a, srv, 128<<10).Mbits()).To(BeNumerically("<", 1.5))
		})

		It("gives the kernel every netem option as asked", func() {
			w := newWire()
			imp := impair.Link(w.near,
				impair.Delay(20*time.Millisecond), impair.Jitter(5*time.Millisecond), impair.DelayCorrelation(25),
				impair.Loss(1.5), impair.LossCorrelation(10),
				impair.Duplicate(2), impair.DuplicateCorrelation(20),
				impair.Reorder(30), impair.ReorderCorrelation(40),
				impair.Corrupt(0.5), impair.CorruptCorrelation(5))
			Expect(imp.String()).To(Equal("netem delay 20ms 5ms 25% loss 1.5% 10% duplicate 2% 20% reorder 30% 40% corrupt 0.5% 5%"))
			q, ok := rootQdisc(w.a, w.near).(*netlink.Netem)
			Expect(ok).To(BeTrue(), "root qdisc is netem")
			Expect(q.Loss).To(Equal(netlink.Percentage2u32(1.5)))
			Expect(q.Duplicate).To(Equal(netlink.Percentage2u32(2)))
			Expect(q.ReorderProb).To(Equal(netlink.Percentage2u32(30)))
			Expect(q.CorruptProb).To(Equal(netlink.Percentage2u32(0.5)))
			Expect(q.CorruptCorr).To(Equal(netlink.Percentage2u32(5)))
			Expect(q.Jitter).NotTo(BeZero())

			imp.Change(impair.Loss(100))
			Expect(imp.String()).To(Equal("netem loss 100%"))
			q = rootQdisc(w.a, w.near).(*netlink.Netem)
			Expect(q.Latency).To(BeZero())
			Expect(q.Loss).To(Equal(netlink.Percentage2u32(100)))
		})
	})

	It("impairs with netem where the kernel has it, and fails with the kernel-support reason where not", func() {
		GinkgoT().Setenv("SCRATCHNET_REQUIRE_KINDS", "")
		probe := &testsupport.Recorder{}
		probe.Run(func(t testing.TB) { impair.SkipUnlessSupportedT(t, "netem") })
		w := newWire()
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { impair.LinkT(t, w.near, impair.Delay(time.Millisecond)) })
		if len(probe.Skips()) == 0 {
			Expect(rec.Failures()).To(BeEmpty())
			return
		}
		Expect(rec.Failures()).To(ConsistOf(ContainSubstring(`kernel does not support qdisc "netem"`)))
		Expect(rootQdisc(w.a, w.near).Attrs().Handle).To(BeZero())
	})
})

var _ = Describe("impairing a link looked up through a bound handle (issue 19)", func() {

	BeforeEach(guard.SkipUnlessPrivileged)
	BeforeEach(func() { impair.SkipUnlessSupported("tbf") })

	It("impairs the link in the namespace its wrapper names, and leaves the caller's namespace alone", func() {
		server, caller := netns.NewTransient(), netns.Current()
		before := testsupport.NetState(caller)
		near, _ := veth.NewTransient(veth.InNamespace(server), veth.WithPeerNamespace(server))
		bound := testsupport.Bound(server, near.Attrs().Name)

		imp := impair.Link(link.WrapWithLinkNamespace(bound, server), impair.Rate(1_000_000))
		Expect(rootQdisc(server, bound)).To(BeAssignableToTypeOf(&netlink.Tbf{}))
		Expect(imp.Active()).To(BeTrue())
		Expect(testsupport.NetState(caller)).To(Equal(before), "the caller's namespace changed")
	})

	It("refuses the link when nothing names its namespace, saying how to name it", func() {
		server, caller := netns.NewTransient(), netns.Current()
		before := testsupport.NetState(caller)
		near, _ := veth.NewTransient(veth.InNamespace(server), veth.WithPeerNamespace(server))
		bound := testsupport.Bound(server, near.Attrs().Name)

		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { impair.LinkT(t, bound, impair.Rate(1_000_000)) })
		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			HavePrefix(fmt.Sprintf(`cannot impair link %q (index %d), reason: it names no network namespace, so it was looked for in the calling thread's network namespace net:[%d], where `,
				near.Attrs().Name, bound.Attrs().Index, netns.Ino(caller))),
			ContainSubstring("name it with link.WrapWithLinkNamespace(l, nsfd) or l.Attrs().Namespace = netlink.NsFd(nsfd)"))))
		Expect(rootQdisc(server, bound)).NotTo(BeAssignableToTypeOf(&netlink.Tbf{}))
		Expect(testsupport.NetState(caller)).To(Equal(before), "the caller's namespace changed")
	})
})
