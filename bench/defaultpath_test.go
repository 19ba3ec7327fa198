//go:build bench

package bench_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

// The default per-link path against the opt-in GoesWithNamespace, timed as
// a user's spec experiences it: every iteration is an It of its own, timed
// from its start to a DeferCleanup it registers first, which therefore runs
// after every cleanup of the library. The two variants alternate, and the
// ratio is the median of the ratios of back-to-back pairs.
var _ = Describe("default per-link path", Ordered, Serial, func() {

	const pairs = samples / 2
	const (
		plainRow = "(i) veth pair, two namespaces, as an It"
		goesRow  = "(i2) (i) with GoesWithNamespace"
	)
	var (
		mu    sync.Mutex
		times = map[string][]time.Duration{}
	)

	BeforeEach(guard.SkipUnlessPrivileged)

	spec := func(row string, opts ...veth.Opt) func() {
		return func() {
			start := time.Now()
			DeferCleanup(func() {
				d := time.Since(start)
				mu.Lock()
				defer mu.Unlock()
				times[row] = append(times[row], d)
			})
			left, right := netns.NewTransient(), netns.NewTransient()
			veth.NewTransient(append([]veth.Opt{veth.InNamespace(left), veth.WithPeerNamespace(right)}, opts...)...)
		}
	}
	plain, goes := spec(plainRow), spec(goesRow, veth.GoesWithNamespace())
	for i := range pairs {
		// Which of a pair goes first alternates: the first inherits the
		// kernel's deferred teardown of what the previous pair closed.
		if i%2 == 0 {
			It(fmt.Sprintf("pair %d: default", i), plain)
			It(fmt.Sprintf("pair %d: GoesWithNamespace", i), goes)
		} else {
			It(fmt.Sprintf("pair %d: GoesWithNamespace", i), goes)
			It(fmt.Sprintf("pair %d: default", i), plain)
		}
	}

	It("costs what GoesWithNamespace costs", func() {
		mu.Lock()
		defer mu.Unlock()
		Expect(times[plainRow]).To(HaveLen(pairs))
		Expect(times[goesRow]).To(HaveLen(pairs))
		ratios := make([]float64, pairs)
		for i := range pairs {
			ratios[i] = float64(times[plainRow][i]) / float64(times[goesRow][i])
		}
		slices.Sort(ratios)
		var sb strings.Builder
		fmt.Fprintf(&sb, "%-40s %12s  %s\n", "default per-link path (median per It)", "time", "ratio (median of back-to-back pairs) / target")
		fmt.Fprintf(&sb, "%-40s %12s\n", goesRow, median(times[goesRow]).Round(time.Microsecond))
		fmt.Fprintf(&sb, "%-40s %12s  (i)/(i2) = %.2f, target <= 1.10\n", plainRow, median(times[plainRow]).Round(time.Microsecond), ratios[pairs/2])
		publish(sb.String())
	})
})
