//go:build bench

package bench_test

import (
	"runtime"
	"slices"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gmeasure"
	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/firewall"
	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/impair"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/lab"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

const samples = 200

// rawNetns creates a namespace the plain way: unshare on a locked thread,
// keep an fd, switch back.
func rawNetns() int { return rawNetnsDoing(nil) }

// rawNetnsDoing is rawNetns that calls inside, when not nil, while the
// thread is in the new namespace.
func rawNetnsDoing(inside func()) int {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	Expect(err).NotTo(HaveOccurred())
	defer unix.Close(orig)
	Expect(unix.Unshare(unix.CLONE_NEWNET)).To(Succeed())
	fd, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	Expect(err).NotTo(HaveOccurred())
	if inside != nil {
		inside()
	}
	Expect(unix.Setns(orig, unix.CLONE_NEWNET)).To(Succeed())
	return fd
}

// rawPair creates two namespaces and one veth pair between them with a
// single RTM_NEWLINK sent from a socket in the first namespace.
func rawPair() (left, right int, h *netlink.Handle, l netlink.Link) {
	left, right = rawNetns(), rawNetns()
	h, err := netlink.NewHandleAt(vnetns.NsHandle(left), unix.NETLINK_ROUTE)
	Expect(err).NotTo(HaveOccurred())
	l = &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "a"}, PeerName: "b", PeerNamespace: netlink.NsFd(right)}
	Expect(h.LinkAdd(l)).To(Succeed())
	return left, right, h, l
}

// run calls fn with a fresh recorder standing in for the test, and runs the
// recorded cleanups, so that every iteration includes its teardown.
func run(fn func(t testing.TB)) {
	rec := &testsupport.Recorder{}
	rec.Run(fn)
	Expect(rec.Failures()).To(BeEmpty())
}

var _ = Describe("scratchnet", Serial, func() {

	BeforeEach(func() {
		guard.SkipUnlessPrivileged()
		impair.SkipUnlessSupported("tbf")
		firewall.SkipUnlessSupported(firewall.NAT)
	})

	It("costs little over the raw kernel operations", func() {
		exp := gmeasure.NewExperiment("scratchnet")
		AddReportEntry(exp.Name, exp)

		// Pairs to be compared are measured in turns, so that both see the
		// same machine, and each ratio is the median of the ratios of the
		// back-to-back pairs: the kernel's deferred namespace teardown and
		// the RCU grace period that dominates (b) and (c2) vary over a run.
		// Which of a pair goes first alternates: the first inherits the
		// kernel's deferred teardown of what the previous pair closed.
		ratios := map[string][]float64{}
		pair := func(i int, key string, x, y func() time.Duration) {
			var dx, dy time.Duration
			if i%2 == 0 {
				dx, dy = x(), y()
			} else {
				dy, dx = y(), x()
			}
			ratios[key] = append(ratios[key], float64(dx)/float64(dy))
		}
		measure := func(name string, fn func()) func() time.Duration {
			return func() time.Duration { return exp.MeasureDuration(name, fn) }
		}
		rawFloor := measure(rowA, func() {
			left, right, h, _ := rawPair()
			h.Close()
			unix.Close(left)
			unix.Close(right)
		})
		perLink := measure(rowC, func() {
			run(func(t testing.TB) {
				left, right := netns.NewTransientT(t), netns.NewTransientT(t)
				veth.NewTransientT(t, veth.InNamespace(left), veth.WithPeerNamespace(right))
			})
		})
		labWire := measure(rowD, func() {
			run(func(t testing.TB) {
				l := lab.NewT(t)
				l.Connect(l.Host("alice"), l.Host("bob"))
			})
		})
		rawLabWire := measure(rowD0, rawLab)
		// The same raw work run the way every other library row runs: on a
		// fresh goroutine, with its cleanups on another, as a test is.
		rawLabTest := measure(rowD1, func() { run(func(testing.TB) { rawLab() }) })
		labCapture := measure(rowG, func() {
			run(func(t testing.TB) {
				l := lab.NewT(t)
				l.Capture()
				l.Connect(l.Host("alice"), l.Host("bob"))
			})
		})
		natLab := measure(rowH, measureNATLab)
		rawDelete := measure(rowB, func() {
			left, right, h, l := rawPair()
			Expect(h.LinkDel(l)).To(Succeed())
			h.Close()
			unix.Close(left)
			unix.Close(right)
		})
		// The namespaces outlive the link's scope, as a BeforeAll's or a
		// caller's own would: its cleanup must delete it explicitly.
		outliving := measure(rowC2, func() {
			left, right := rawNetns(), rawNetns()
			run(func(t testing.TB) {
				veth.NewTransientT(t, veth.InNamespace(left), veth.WithPeerNamespace(right))
			})
			unix.Close(left)
			unix.Close(right)
		})
		for i := range samples {
			pair(i, "c/a", perLink, rawFloor)
			pair(i, "d/a", labWire, rawFloor)
			pair(i, "d/d0", labWire, rawLabWire)
			pair(i, "d0/a", rawLabWire, rawFloor)
			pair(i, "d1/a", rawLabTest, rawFloor)
			if i%2 == 0 {
				pair(i/2, "c2/b", outliving, rawDelete)
			}
		}
		// Captures and nftables leave more deferred kernel work behind (a
		// packet socket's close waits for a grace period): measured apart,
		// so that they do not weigh on the pairs above.
		for i := range samples / 4 {
			pair(i, "g/d", labCapture, labWire)
			pair(i, "h/d", natLab, labWire)
		}

		exp.SampleDuration(rowE, func(int) {}, gmeasure.SamplingConfig{N: 1})
		left, right := netns.NewTransient(), netns.NewTransient()
		for range samples / 4 {
			dupond, dupont := veth.NewTransient(veth.InNamespace(left), veth.WithPeerNamespace(right), veth.GoesWithNamespace())
			exp.MeasureDuration(rowE, func() { link.EnsureAllUp(dupond, dupont) })
		}

		var sustained []time.Duration
		for range 1000 {
			start := time.Now()
			run(func(t testing.TB) {
				l := lab.NewT(t)
				l.Connect(l.Host("alice"), l.Host("bob"))
			})
			sustained = append(sustained, time.Since(start))
		}
		first, last := median(sustained[:250]), median(sustained[750:])
		exp.RecordDuration(rowF1, first)
		exp.RecordDuration(rowF2, last)

		publish(renderTable(exp, ratios))
	})
})

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// The rows of the table, in the order printed.
const (
	rowA  = "(a) raw floor"
	rowB  = "(b) raw + explicit deletion"
	rowC  = "(c) per-link API"
	rowC2 = "(c2) per-link, namespaces outlive it"
	rowD  = "(d) lab, two hosts, addressed wire"
	rowD0 = "(d0) raw: the kernel work of (d)"
	rowD1 = "(d1) (d0) run as a test"
	rowE  = "(e) EnsureAllUp on a veth pair"
	rowF1 = "(f) 1000 labs: first 250"
	rowF2 = "(f) 1000 labs: last 250"
	rowG  = "(g) lab (d) capturing both wire ends"
	rowH  = "(h) lab, NAT router, one impaired wire"
)

func renderTable(exp *gmeasure.Experiment, ratios map[string][]float64) string {
	t := newTable("measurement (median per iteration)", exp, ratios)
	t.row(rowA, "")
	t.row(rowB, "")
	t.row(rowC, "(c)/(a) = %.2f, target <= 1.40", t.ratio("c/a"))
	t.row(rowC2, "(c2)/(b) = %.2f, target <= 1.10", t.ratio("c2/b"))
	t.row(rowD, "(d)/(a) = %.2f, target <= 1.50", t.ratio("d/a"))
	t.row(rowD0, "(d0)/(a) = %.2f, (d)/(d0) = %.2f", t.ratio("d0/a"), t.ratio("d/d0"))
	t.row(rowD1, "(d1)/(a) = %.2f", t.ratio("d1/a"))
	t.row(rowE, "target < 5ms")
	t.row(rowF1, "")
	t.row(rowF2, "last/first = %.2f, target: no slow-down", float64(t.med(rowF2))/float64(t.med(rowF1)))
	t.row(rowG, "(g)/(d) = %.2f, the cost of capturing", t.ratio("g/d"))
	t.row(rowH, "(h)/(d) = %.2f, a client behind NAT, a tbf-limited wire", t.ratio("h/d"))
	return t.String()
}
