//go:build bench

package bench_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gmeasure"
)

// The tables of the suite's specs, in the order they were published: each
// spec of the suite measures one subject and publishes its own table, and
// the suite writes them all, one after the other, to SCRATCHNET_BENCH_OUT.
var (
	tablesMu sync.Mutex
	tables   []string
)

// publish prints a spec's table to the spec's output and keeps it for the
// file that make bench prints at the end.
func publish(table string) {
	fmt.Fprintln(GinkgoWriter, table)
	tablesMu.Lock()
	defer tablesMu.Unlock()
	tables = append(tables, table)
}

var _ = AfterSuite(func() {
	path := os.Getenv("SCRATCHNET_BENCH_OUT")
	if path == "" {
		return
	}
	tablesMu.Lock()
	defer tablesMu.Unlock()
	Expect(os.WriteFile(path, []byte(strings.Join(tables, "\n")), 0o644)).To(Succeed())
})

// A table renders an experiment's medians, one row per measurement, with a
// note of ratios each: every spec of the suite prints its table this way.
type table struct {
	exp    *gmeasure.Experiment
	ratios map[string][]float64
	sb     strings.Builder
}

// newTable starts a table whose first line names its subject.
func newTable(subject string, exp *gmeasure.Experiment, ratios map[string][]float64) *table {
	t := &table{exp: exp, ratios: ratios}
	fmt.Fprintf(&t.sb, "%-40s %12s  %s\n", subject, "time", "ratio (median of back-to-back pairs) / target")
	return t
}

// med is the median of the measurement's durations.
func (t *table) med(name string) time.Duration {
	return t.exp.GetStats(name).DurationFor(gmeasure.StatMedian).Round(time.Microsecond)
}

// ratio is the median of the pair ratios kept under key.
func (t *table) ratio(key string) float64 {
	r := slices.Clone(t.ratios[key])
	slices.Sort(r)
	return r[len(r)/2]
}

// row adds the measurement's median and a note.
func (t *table) row(name, note string, args ...any) {
	fmt.Fprintf(&t.sb, "%-40s %12s  %s\n", name, t.med(name), fmt.Sprintf(note, args...))
}

func (t *table) String() string { return t.sb.String() }
