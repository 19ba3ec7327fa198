package nsops_test

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/lab"
	"github.com/scratchnet/scratchnet/netns"
)

// basePairs creates n veth pairs in the namespace behind h, named base-a<i>
// and base-b<i>, so that a link dump spans several netlink messages (the
// kernel fills at most 32 KiB per part), and returns their names and lo's.
func basePairs(h *netlink.Handle, n int) []string {
	GinkgoHelper()
	base := []string{"lo"}
	for i := range n {
		a, b := "base-a"+strconv.Itoa(i), "base-b"+strconv.Itoa(i)
		Expect(h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: a}, PeerName: b})).To(Succeed())
		base = append(base, a, b)
	}
	return base
}

// lockStepLinkDump dumps the links of the namespace fd over a netlink socket
// of its own, one part (one recvmsg) at a time, and calls change after each
// part that does not end the dump. The kernel fills the next part while
// handing out the previous one, so a change made after part i shows in part
// i+2: every dump of three parts or more comes back with NLM_F_DUMP_INTR,
// returned as netlink.ErrDumpInterrupted together with all links, as
// vishvananda/netlink returns it. It also returns the number of parts.
func lockStepLinkDump(fd int, change func()) ([]netlink.Link, int, error) {
	GinkgoHelper()
	sock := -1
	var serr error
	Expect(nsops.Do(fd, func() {
		sock, serr = unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	})).To(Succeed())
	Expect(serr).NotTo(HaveOccurred())
	defer unix.Close(sock)
	req := nl.NewNetlinkRequest(unix.RTM_GETLINK, unix.NLM_F_DUMP)
	req.AddData(nl.NewIfInfomsg(unix.AF_UNSPEC))
	Expect(unix.Sendto(sock, req.Serialize(), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})).To(Succeed())
	var links []netlink.Link
	interrupted := false
	buf := make([]byte, 1<<16)
	for parts := 1; ; parts++ {
		n, _, err := unix.Recvfrom(sock, buf, 0)
		Expect(err).NotTo(HaveOccurred())
		// A copy: the links decoded from a part keep pointing into it.
		msgs, err := syscall.ParseNetlinkMessage(slices.Clone(buf[:n]))
		Expect(err).NotTo(HaveOccurred())
		for _, m := range msgs {
			if m.Header.Flags&unix.NLM_F_DUMP_INTR != 0 {
				interrupted = true
			}
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				if interrupted {
					return links, parts, netlink.ErrDumpInterrupted
				}
				return links, parts, nil
			case unix.NLMSG_ERROR:
				Fail(fmt.Sprintf("the link dump failed with a netlink error in part %d", parts))
			case unix.RTM_NEWLINK:
				links = append(links, must(netlink.LinkDeserialize(nil, m.Data)))
			}
		}
		change()
	}
}

// churn fills the namespace behind h with 40 base pairs and then creates
// up to pairs more pairs through writer, one every pace, from a goroutine of
// its own, as a user's agent might while the library reads the namespace:
// a link created during a dump makes the kernel flag it NLM_F_DUMP_INTR
// (netlink.ErrDumpInterrupted). It returns a channel closed once the writer
// is done.
func churn(h, writer *netlink.Handle, pairs int, pace time.Duration) <-chan struct{} {
	GinkgoHelper()
	basePairs(h, 40)
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
	return finished
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

	It("RetryDump returns a complete link list while every dump is interrupted by links created between its parts", func() {
		fd := netns.NewTransient()
		h := netns.NewNetlinkHandle(fd)
		base := basePairs(h, 40)
		created := map[string]bool{}
		next := 0
		// A user's agent creating links on a machine slow enough that each
		// dump spans several of its changes, made certain: a new pair lands
		// between every two parts of every dump, whatever the machine's
		// speed.
		addPair := func() {
			a, b := "churn-x"+strconv.Itoa(next), "churn-y"+strconv.Itoa(next)
			next++
			Expect(h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: a}, PeerName: b})).To(Succeed())
			created[a], created[b] = true, true
		}
		var dumps, interrupted int
		links, err := nsops.RetryDump(func() ([]netlink.Link, error) {
			dumps++
			links, parts, err := lockStepLinkDump(fd, addPair)
			Expect(parts).To(BeNumerically(">=", 3), "dump %d fitted in %d parts: no change could interrupt it", dumps, parts)
			if errors.Is(err, netlink.ErrDumpInterrupted) {
				interrupted++
			}
			return links, err
		})
		AddReportEntry("link dumps", fmt.Sprintf("%d dumps, %d interrupted, %d pairs created meanwhile", dumps, interrupted, next))
		Expect(err).NotTo(HaveOccurred())
		Expect(interrupted).To(Equal(dumps), "a dump completed without interruption: the spec did not keep the table changing")
		got := names(links)
		Expect(got).To(ContainElements(base), "the answer misses links that existed throughout")
		seen := map[string]bool{}
		for _, n := range got {
			Expect(seen[n]).To(BeFalse(), "link %s is in the answer twice", n)
			seen[n] = true
			Expect(created[n] || slices.Contains(base, n)).To(BeTrue(), "link %s never existed", n)
		}
	})

	It("RetryDump does not answer from an interrupted dump that lost links of the dump before it", func() {
		fd := netns.NewTransient()
		h := netns.NewNetlinkHandle(fd)
		base := basePairs(h, 40)
		var doomed []string
		for i := range 15 {
			a, b := "doomed-a"+strconv.Itoa(i), "doomed-b"+strconv.Itoa(i)
			Expect(h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: a}, PeerName: b})).To(Succeed())
			doomed = append(doomed, a, b)
		}
		// Deleting a pair between every two parts: each interrupted dump
		// lacks pairs the one before it listed, so only a dump taken after
		// the last deletion may be the answer.
		left := slices.Clone(doomed)
		deletePair := func() {
			if len(left) == 0 {
				return
			}
			Expect(h.LinkDel(must(h.LinkByName(left[0])))).To(Succeed())
			left = left[2:]
		}
		var dumps, interrupted int
		links, err := nsops.RetryDump(func() ([]netlink.Link, error) {
			dumps++
			links, _, err := lockStepLinkDump(fd, deletePair)
			if errors.Is(err, netlink.ErrDumpInterrupted) {
				interrupted++
			}
			return links, err
		})
		AddReportEntry("link dumps", fmt.Sprintf("%d dumps, %d interrupted", dumps, interrupted))
		Expect(err).NotTo(HaveOccurred())
		Expect(interrupted).To(BeNumerically(">=", 2), "fewer than two dumps were interrupted: the spec proved nothing")
		Expect(left).To(BeEmpty())
		Expect(names(links)).To(ContainElements(base))
		Expect(names(links)).NotTo(ContainElement(BeElementOf(doomed)), "the answer lists links deleted before the call returned")
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
		finished := churn(h, netns.NewNetlinkHandle(host.Netns()), 100, 10*time.Millisecond)
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
