package fault_test

import (
	"net"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/fault"
	"github.com/scratchnet/scratchnet/firewall"
	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/lab"
)

// A carrier is what the code under test sees of an interface in an
// RTM_NEWLINK message.
type carrier struct{ Up, LowerUp bool }

// watchCarrier subscribes to the link messages of the namespace of
// interface i, as code under test would, and returns the changes of i's
// flags that they carry, from now until the node ends.
func watchCarrier(i *lab.Iface) <-chan carrier {
	GinkgoHelper()
	updates := make(chan netlink.LinkUpdate, 64)
	done := make(chan struct{})
	DeferCleanup(func() { close(done) })
	Expect(netlink.LinkSubscribeAt(netns.NsHandle(i.Netns()), updates, done)).To(Succeed())
	out := make(chan carrier, 64)
	go func() {
		for u := range updates {
			if int(u.Index) != i.Link.Attrs().Index || u.Header.Type != unix.RTM_NEWLINK {
				continue
			}
			out <- carrier{Up: u.Flags&unix.IFF_UP != 0, LowerUp: u.Flags&unix.IFF_LOWER_UP != 0}
		}
	}()
	return out
}

// transitions collects the carrier changes of ch from state from until
// want of them have come or the timeout passes. The link watch's messages
// may come late and repeat the state as it is; they add no change.
func transitions(ch <-chan carrier, from carrier, want int, timeout time.Duration) []carrier {
	var got []carrier
	last := from
	deadline := time.After(timeout)
	for len(got) < want {
		select {
		case c := <-ch:
			if c != last {
				got = append(got, c)
				last = c
			}
		case <-deadline:
			return got
		}
	}
	return got
}

// upChanges collects the changes of IFF_UP that ch tells until want of
// them have come or the timeout passes. The link watch's carrier messages
// come late and repeat the flag as it is; they add no change.
func upChanges(ch <-chan carrier, want int, timeout time.Duration) []bool {
	var got []bool
	deadline := time.After(timeout)
	for len(got) < want {
		select {
		case c := <-ch:
			if len(got) == 0 && c.Up || len(got) > 0 && got[len(got)-1] == c.Up {
				continue
			}
			got = append(got, c.Up)
		case <-deadline:
			return got
		}
	}
	return got
}

var _ = Describe("link faults", func() {
	BeforeEach(guard.SkipUnlessPrivileged)

	lost, back := carrier{Up: true, LowerUp: false}, carrier{Up: true, LowerUp: true}

	It("Flap makes the interface lose its carrier and get it back, as RTM_NEWLINK messages tell the code under test", func() {
		l := lab.New()
		a, b := l.Host("a"), l.Host("b")
		ia, _ := l.Connect(a, b)
		events := watchCarrier(ia)
		// The kernel tells carrier changes of a veth at most about once a
		// second (linkwatch), coalescing faster ones: a shorter flap may
		// show as no change at all.
		fault.Inject(fault.Flap(ia, 1200*time.Millisecond))
		Expect(transitions(events, back, 2, 5*time.Second)).To(Equal([]carrier{lost, back}),
			"the interface stays up, loses its carrier and gets it back")
	})

	It("Flap with Repeat sets the far end down and up again each period, and Heal stops it", func() {
		l := lab.New()
		a, b := l.Host("a"), l.Host("b")
		ia, ib := l.Connect(a, b)
		far := watchCarrier(ib)
		f := fault.Inject(fault.Flap(ia, 100*time.Millisecond, fault.Repeat(2, 300*time.Millisecond)))
		Expect(upChanges(far, 4, 5*time.Second)).To(Equal([]bool{false, true, false, true}), "the far end goes down and up twice")
		Consistently(far).WithTimeout(400 * time.Millisecond).ShouldNot(Receive(HaveField("Up", false)))

		fault.Heal(f)
		f = fault.Inject(fault.Flap(ia, 100*time.Millisecond, fault.Repeat(5, 300*time.Millisecond)))
		Eventually(far).WithTimeout(5 * time.Second).Should(Receive(HaveField("Up", false)))
		fault.Heal(f)
		Eventually(far).Should(Receive(HaveField("Up", true)), "the heal sets the far end up")
		Consistently(far).WithTimeout(400*time.Millisecond).ShouldNot(Receive(HaveField("Up", false)), "the heal stopped the flapping")
	})

	It("Unplug holds the carrier off on a segment member until healed, and the bridge port is up again after", func() {
		l := lab.New()
		a, b := l.Host("a"), l.Host("b")
		ifs := l.Segment("lan").Attach(a, b)
		b.Listen("tcp", "[::]:7")
		events := watchCarrier(ifs[0])
		u := fault.Inject(fault.Unplug(ifs[0]))
		Expect(transitions(events, back, 1, 5*time.Second)).To(Equal([]carrier{lost}))
		Expect(reaches(a, ifs[1].IPv4.Addr(), 7)).To(BeFalse())
		fault.Heal(u)
		Expect(transitions(events, lost, 1, 5*time.Second)).To(Equal([]carrier{back}))
		farNs, far := ifs[0].FarEnd()
		h, err := netlink.NewHandleAt(netns.NsHandle(farNs), unix.NETLINK_ROUTE)
		Expect(err).NotTo(HaveOccurred())
		defer h.Close()
		port, err := h.LinkByIndex(far.Attrs().Index)
		Expect(err).NotTo(HaveOccurred())
		Expect(port.Attrs().Flags&net.FlagUp != 0).To(BeTrue(), "the bridge port is up again")
	})

	It("Blackhole drops everything on a wire whose ends stay up with carrier, until healed", func() {
		firewall.SkipUnlessSupported(firewall.Tables)
		l := lab.New()
		a, b := l.Host("a"), l.Host("b")
		ia, ib := l.Connect(a, b)
		b.Listen("tcp", "[::]:7")
		events := watchCarrier(ia)
		bh := fault.Inject(fault.Blackhole(ia))
		Expect(faultTables(a.Netns())).To(HaveLen(1))
		Expect(faultTables(b.Netns())).To(HaveLen(1))
		Expect(reaches(a, ib.IPv4.Addr(), 7)).To(BeFalse())
		Expect(reaches(a, ib.IPv6.Addr(), 7)).To(BeFalse())
		Expect(events).NotTo(Receive(), "the wire's carrier does not change")
		fault.Heal(bh)
		Expect(faultTables(a.Netns())).To(BeEmpty())
		Expect(faultTables(b.Netns())).To(BeEmpty())
		// The neighbour entry failed during the blackhole: the first
		// connection attempt after the heal may wait for a new resolution.
		Eventually(func() bool { return reaches(a, ib.IPv4.Addr(), 7) }).WithTimeout(3 * time.Second).Should(BeTrue())
	})
})
