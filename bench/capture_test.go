//go:build bench

package bench_test

import (
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega/gmeasure"

	"github.com/scratchnet/scratchnet/capture"
	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/lab"
)

// The cost of capturing on its own: the lab of row (d) with and without
// Lab.Capture, in back-to-back pairs of alternating order, so that the
// ratio can be read without running the whole table of bench_test.go.
var _ = Describe("capturing", Serial, func() {

	BeforeEach(func() {
		guard.SkipUnlessPrivileged()
		capture.SkipUnlessSupported()
	})

	It("costs little over the same lab without captures", func() {
		exp := gmeasure.NewExperiment("capturing")
		AddReportEntry(exp.Name, exp)
		const (
			plain     = "(d) lab, two hosts, addressed wire"
			capturing = "(g) lab (d) capturing both wire ends"
		)
		measure := func(name string, captures bool) func() time.Duration {
			return func() time.Duration {
				return exp.MeasureDuration(name, func() {
					run(func(t testing.TB) {
						l := lab.NewT(t)
						if captures {
							l.Capture()
						}
						l.Connect(l.Host("alice"), l.Host("bob"))
					})
				})
			}
		}
		withCapture, without := measure(capturing, true), measure(plain, false)
		ratios := map[string][]float64{}
		for i := range samples / 2 {
			var dg, dd time.Duration
			if i%2 == 0 {
				dg, dd = withCapture(), without()
			} else {
				dd, dg = without(), withCapture()
			}
			ratios["g/d"] = append(ratios["g/d"], float64(dg)/float64(dd))
		}
		t := newTable("capturing (median per iteration)", exp, ratios)
		t.row(plain, "")
		t.row(capturing, "(g)/(d) = %.2f, target <= 1.50", t.ratio("g/d"))
		publish(t.String())
	})
})
