//go:build bench

package bench_test

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gmeasure"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/firewall"
	"github.com/scratchnet/scratchnet/impair"
	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/lab"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

const samples = 200

// rawNetns creates a namespace the plain way: unshare on a locked thread,
// keep an fd, switch back.
func rawNetns() int {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	Expect(err).NotTo(HaveOccurred())
	defer unix.Close(orig)
	Expect(unix.Unshare(unix.CLONE_NEWNET)).To(Succeed())
	fd, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	Expect(err).NotTo(HaveOccurred())
	Expect(unix.Setns(orig, unix.CLONE_NEWNET)).To(Succeed())
	return fd
}

// rawPair creates two namespaces and one veth pair between them with a
// single RTM_NEWLINK sent from a socket in the first namespace.
func rawPair() (left, right int, h *netlink.Handle, l netlink.Link) {
	left, right = rawNetns(), rawNetns()
	h, err := nsops.HandleAt(left)
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
		testsupport.NeedsRoot()
		impair.SkipUnlessSupported("tbf")
		firewall.SkipUnlessSupported(firewall.NAT)
	})

	It("costs little over the raw kernel operations", func() {
		exp := gmeasure.NewExperiment("scratchnet")
		AddReportEntry(exp.Name, exp)

		// Pairs to be compared are measured in turns, so that both see the
		// same machine: the RCU grace period that dominates (b) and (c)
		// varies by several milliseconds over a run, so (c)/(b) is the
		// median of the ratios of the back-to-back pairs.
		var pairRatios []float64
		for i := range samples {
			exp.MeasureDuration("(a) raw floor", func() {
				left, right, h, _ := rawPair()
				h.Close()
				unix.Close(left)
				unix.Close(right)
			})
			exp.MeasureDuration("(d) lab, two hosts, addressed wire", func() {
				run(func(t testing.TB) {
					l := lab.NewT(t)
					l.Connect(l.Host("alice"), l.Host("bob"))
				})
			})
			measureNATLab(exp)
			if i%2 != 0 {
				continue
			}
			measureB := func() time.Duration {
				return exp.MeasureDuration("(b) raw + explicit deletion", func() {
					left, right, h, l := rawPair()
					Expect(h.LinkDel(l)).To(Succeed())
					h.Close()
					unix.Close(left)
					unix.Close(right)
				})
			}
			measureC := func() time.Duration {
				return exp.MeasureDuration("(c) per-link API", func() {
					run(func(t testing.TB) {
						left, right := netns.NewTransientT(t), netns.NewTransientT(t)
						veth.NewTransientT(t, veth.InNamespace(left), veth.WithPeerNamespace(right))
					})
				})
			}
			// Which goes first alternates: the first of a pair inherits the
			// kernel's deferred teardown of the namespaces (a) and (d) closed.
			var b, c time.Duration
			if i%4 == 0 {
				b, c = measureB(), measureC()
			} else {
				c, b = measureC(), measureB()
			}
			pairRatios = append(pairRatios, float64(c)/float64(b))
		}

		exp.SampleDuration("(e) EnsureAllUp on a veth pair", func(int) {}, gmeasure.SamplingConfig{N: 1})
		left, right := netns.NewTransient(), netns.NewTransient()
		for range samples / 4 {
			dupond, dupont := veth.NewTransient(veth.InNamespace(left), veth.WithPeerNamespace(right), veth.GoesWithNamespace())
			exp.MeasureDuration("(e) EnsureAllUp on a veth pair", func() { link.EnsureAllUp(dupond, dupont) })
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
		exp.RecordDuration("(f) 1000 labs: first 250", first)
		exp.RecordDuration("(f) 1000 labs: last 250", last)

		slices.Sort(pairRatios)
		table := renderTable(exp, pairRatios[len(pairRatios)/2])
		fmt.Fprintln(GinkgoWriter, table)
		if path := os.Getenv("SCRATCHNET_BENCH_OUT"); path != "" {
			Expect(os.WriteFile(path, []byte(table), 0o644)).To(Succeed())
		}
	})
})

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func renderTable(exp *gmeasure.Experiment, cOverB float64) string {
	med := func(name string) time.Duration {
		return exp.GetStats(name).DurationFor(gmeasure.StatMedian)
	}
	a, b, c, d := med("(a) raw floor"), med("(b) raw + explicit deletion"), med("(c) per-link API"), med("(d) lab, two hosts, addressed wire")
	e := exp.GetStats("(e) EnsureAllUp on a veth pair")
	eMed := e.DurationFor(gmeasure.StatMedian)
	f1, f2 := med("(f) 1000 labs: first 250"), med("(f) 1000 labs: last 250")
	ratio := func(x, y time.Duration) float64 { return float64(x) / float64(y) }
	var sb strings.Builder
	fmt.Fprintf(&sb, "%-40s %12s  %s\n", "measurement (median per iteration)", "time", "ratio / target")
	fmt.Fprintf(&sb, "%-40s %12s\n", "(a) raw floor", a.Round(time.Microsecond))
	fmt.Fprintf(&sb, "%-40s %12s\n", "(b) raw + explicit deletion", b.Round(time.Microsecond))
	fmt.Fprintf(&sb, "%-40s %12s  (c)/(b) = %.2f (median of back-to-back pairs), target <= 1.10\n", "(c) per-link API", c.Round(time.Microsecond), cOverB)
	fmt.Fprintf(&sb, "%-40s %12s  (d)/(a) = %.2f, target <= 2.00\n", "(d) lab, two hosts, addressed wire", d.Round(time.Microsecond), ratio(d, a))
	fmt.Fprintf(&sb, "%-40s %12s  target < 5ms\n", "(e) EnsureAllUp on a veth pair", eMed.Round(time.Microsecond))
	fmt.Fprintf(&sb, "%-40s %12s\n", "(f) 1000 labs: first 250", f1.Round(time.Microsecond))
	fmt.Fprintf(&sb, "%-40s %12s  last/first = %.2f, target: no slow-down\n", "(f) 1000 labs: last 250", f2.Round(time.Microsecond), ratio(f2, f1))
	sb.WriteString(natLabLine(exp, d))
	return sb.String()
}
