package netns_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/netns"
)

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

var _ = Describe("guarantee: 1000 transient namespaces are created and destroyed in one suite without slowing down or exhausting fds", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("creates, uses and destroys 1000 namespaces one after the other", func() {
		const n = 1000
		fds := len(testsupport.OpenFDs())
		took := make([]time.Duration, 0, n)
		start := time.Now()
		for i := range n {
			began := time.Now()
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) {
				fd := netns.NewTransientT(t)
				netns.ExecuteT(t, fd, func() {})
			})
			took = append(took, time.Since(began))
			Expect(rec.Failures()).To(BeEmpty(), "namespace %d of %d", i+1, n)
			if (i+1)%100 == 0 {
				// Each namespace's fd is closed by its cleanup: the count
				// must not grow, however many namespaces came before.
				Expect(len(testsupport.OpenFDs())).To(BeNumerically("<=", fds), "open fds after %d namespaces", i+1)
			}
		}
		first, last := median(took[:100]), median(took[n-100:])
		// Reported, not asserted: a loaded CI machine makes any bound flaky.
		// The kernel removes dead namespaces asynchronously; a growing
		// backlog would show as a last-100 median well above the first's.
		AddReportEntry("1000 namespaces", fmt.Sprintf(
			"total %s; median of the first 100 %s, of the last 100 %s (ratio %.2f)",
			time.Since(start).Round(time.Millisecond), first, last, float64(last)/float64(first)))
	})
})
