package fault_test

import (
	"net"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/fault"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/lab"
)

// linkFlags returns the flags of a link as its namespace has them now.
func linkFlags(nsfd int, l netlink.Link) net.Flags {
	GinkgoHelper()
	h, err := netlink.NewHandleAt(netns.NsHandle(nsfd), unix.NETLINK_ROUTE)
	Expect(err).NotTo(HaveOccurred())
	defer h.Close()
	got, err := h.LinkByIndex(l.Attrs().Index)
	Expect(err).NotTo(HaveOccurred())
	return got.Attrs().Flags
}

var _ = Describe("cleanup", func() {
	BeforeEach(skipUnlessPartitions)

	It("heals every fault left applied at the end of the test, where the lab outlives it", func() {
		l := lab.New()
		a, b, c := l.Host("a"), l.Host("b"), l.Host("c")
		ifs := l.Segment("lan").Attach(a, b)
		ia, ic := l.Connect(a, c)
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			fault.InjectT(t, fault.Partition([]*lab.Host{a}, []*lab.Host{b}))
			fault.InjectT(t, fault.Blackhole(ifs[1]))
			fault.InjectT(t, fault.Unplug(ia))
			fault.InjectT(t, fault.Flap(ic, time.Hour))
			fault.NewPlan(fault.At(0, fault.Isolate(l, c))).StartT(t)
			Eventually(func() []string { return faultTables(c.Netns()) }).ShouldNot(BeEmpty())
			Expect(linkFlags(a.Netns(), ia.Link) & net.FlagRunning).To(BeZero())
		})
		Expect(rec.Failures()).To(BeEmpty())
		for _, h := range []*lab.Host{a, b, c} {
			Expect(faultTables(h.Netns())).To(BeEmpty(), "tables of host %s", h.Name)
		}
		farNs, far := ifs[1].FarEnd()
		Expect(faultTables(farNs)).To(BeEmpty(), "tables of the segment")
		Expect(linkFlags(farNs, far) & net.FlagUp).NotTo(BeZero())
		for _, i := range []*lab.Iface{ia, ic} {
			Expect(linkFlags(i.Netns(), i.Link)&net.FlagUp).NotTo(BeZero(), "%s is up", i)
			Eventually(func() net.Flags { return linkFlags(i.Netns(), i.Link) & net.FlagRunning }).ShouldNot(BeZero(), "%s has its carrier back", i)
		}
	})

	It("does not fail the teardown of a lab that goes with the test", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			l := lab.NewT(t)
			a, b := l.Host("a"), l.Host("b")
			ia, _ := l.Connect(a, b)
			fault.InjectT(t, fault.Partition([]*lab.Host{a}, []*lab.Host{b}))
			fault.InjectT(t, fault.Flap(ia, time.Hour))
		})
		Expect(rec.Failures()).To(BeEmpty())
	})

	It("heals quietly a fault whose link is gone", func() {
		l := lab.New()
		a, b := l.Host("a"), l.Host("b")
		ia, ib := l.Connect(a, b)
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			fault.InjectT(t, fault.Unplug(ia))
			Expect(b.Handle().LinkDel(ib.Link)).To(Succeed())
		})
		Expect(rec.Failures()).To(BeEmpty())
	})
})
