//go:build bench

package bench_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega/gmeasure"

	"github.com/scratchnet/scratchnet/impair"
	"github.com/scratchnet/scratchnet/lab"
)

// natLabRow names the measurement of a realistic lab: a client behind a NAT
// router that masquerades towards a server, over a wire rate limited by tbf
// (netem is missing on minimal kernels), all torn down with the lab.
const natLabRow = "(g) lab, NAT router, one impaired wire"

func measureNATLab(exp *gmeasure.Experiment) {
	exp.MeasureDuration(natLabRow, func() {
		run(func(t testing.TB) {
			l := lab.NewT(t)
			alice, nat, server := l.Host("alice"), l.Router("nat"), l.Host("server")
			_, inside := l.Connect(alice, nat)
			outside, _ := l.Connect(nat, server, lab.ImpairFrom(nat, impair.Rate(10_000_000)))
			alice.DefaultRoute(inside)
			nat.NAT(outside)
		})
	})
}

// natLabLine is the table row, against (d), the plain two-host lab measured
// in the same iterations.
func natLabLine(exp *gmeasure.Experiment, d time.Duration) string {
	g := exp.GetStats(natLabRow).DurationFor(gmeasure.StatMedian)
	var sb strings.Builder
	fmt.Fprintf(&sb, "%-40s %12s  (g)/(d) = %.2f\n", natLabRow, g.Round(time.Microsecond), float64(g)/float64(d))
	return sb.String()
}
