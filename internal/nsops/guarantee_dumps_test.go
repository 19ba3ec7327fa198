package nsops_test

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/lab"
	"github.com/scratchnet/scratchnet/netns"
)

// churn fills the namespace behind h with 40 veth pairs, named base-a<i> and
// base-b<i>, so that a link dump spans several netlink messages, and then
// creates up to pairs more pairs through writer, one every pace, from a
// goroutine of its own: a link created during a dump makes the kernel flag
// it NLM_F_DUMP_INTR (netlink.ErrDumpInterrupted). It returns the names of
// the base links and a channel closed once the writer is done. The pace and
// the bound keep the churn at what concurrent tests could cause: a writer
// at full speed changes the table during nearly every dump of a namespace
// growing by thousands of links, and no bounded number of retries then
// gets a consistent dump.
func churn(h, writer *netlink.Handle, pairs int, pace time.Duration) ([]string, <-chan struct{}) {
	GinkgoHelper()
	base := []string{"lo"}
	for i := range 40 {
		a, b := "base-a"+strconv.Itoa(i), "base-b"+strconv.Itoa(i)
		Expect(h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: a}, PeerName: b})).To(Succeed())
		base = append(base, a, b)
	}
	stop, finished := make(chan struct{}), make(chan struct{})
	var werr error
	go func() {
		defer close(finished)
		for i := range pairs {
			select {
			case <-stop:
				return
			default:
			}
			werr = writer.LinkAdd(&netlink.Veth{
				LinkAttrs: netlink.LinkAttrs{Name: "churn-x" + strconv.Itoa(i)},
				PeerName:  "churn-y" + strconv.Itoa(i),
			})
			if werr != nil {
				return
			}
			time.Sleep(pace)
		}
	}()
	DeferCleanup(func() {
		close(stop)
		<-finished
		Expect(werr).NotTo(HaveOccurred(), "the concurrent writer failed")
	})
	return base, finished
}

func names(links []netlink.Link) []string {
	out := make([]string, 0, len(links))
	for _, l := range links {
		out = append(out, l.Attrs().Name)
	}
	return out
}

var _ = Describe("guarantee: netlink dumps interrupted by concurrent changes are retried, not surfaced as failures", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("RetryDump returns a complete link list while links are being created concurrently", func() {
		fd := netns.NewTransient()
		h := netns.NewNetlinkHandle(fd)
		base, _ := churn(h, netns.NewNetlinkHandle(fd), 1500, 2*time.Millisecond)

		var calls, attempts, interrupted, retriedOK int
		deadline := time.Now().Add(3 * time.Second)
		// Until a few calls have come through an interruption, so that the
		// retry itself is proven, not just the quiet path.
		for retriedOK < 3 && time.Now().Before(deadline) {
			calls++
			before := interrupted
			links, err := nsops.RetryDump(func() ([]netlink.Link, error) {
				attempts++
				links, err := h.LinkList()
				if errors.Is(err, netlink.ErrDumpInterrupted) {
					interrupted++
				}
				return links, err
			})
			Expect(err).NotTo(HaveOccurred(), "RetryDump call %d", calls)
			Expect(names(links)).To(ContainElements(base), "RetryDump call %d returned an incomplete list", calls)
			if interrupted > before {
				retriedOK++
			}
		}
		AddReportEntry("link dumps", fmt.Sprintf("%d RetryDump calls, %d dumps, %d interrupted, %d calls succeeded after an interruption",
			calls, attempts, interrupted, retriedOK))
		Expect(retriedOK).To(BeNumerically(">", 0),
			"no dump out of %d was interrupted within 3 s: the spec proved nothing (see the netlink suite's gotcha 6)", attempts)
	})

	It("lab's Host.Addrs, which dumps links and addresses, answers completely while links are being created concurrently", func() {
		l := lab.New()
		host := l.Host("h")
		h := netns.NewNetlinkHandle(host.Netns())
		Expect(h.AddrAdd(must(h.LinkByName("lo")), must(netlink.ParseAddr("10.9.0.1/32")))).To(Succeed())
		// An address dump covers every link of every address family, so it
		// takes longer than a link dump and is interrupted by any link
		// created meanwhile: a slower churn than above still interrupts
		// some, but leaves the retries room.
		_, finished := churn(h, netns.NewNetlinkHandle(host.Netns()), 100, 10*time.Millisecond)
		want := netip.MustParsePrefix("10.9.0.1/32")
		// Each call dumps links and addresses while links are being
		// created; without the retry, some of these calls would fail.
		calls := 0
		for done := false; !done; {
			select {
			case <-finished:
				done = true
			default:
			}
			calls++
			Expect(host.Addrs()).To(HaveKeyWithValue("lo", ContainElement(want)), "call %d", calls)
		}
		AddReportEntry("Host.Addrs calls during the churn", calls)
	})
})

func must[T any](v T, err error) T {
	GinkgoHelper()
	Expect(err).NotTo(HaveOccurred())
	return v
}
