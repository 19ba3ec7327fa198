package netns_test

import (
	"fmt"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/netns"
)

// said is what the "say" helper writes to the stream ("out" or "err") for
// marker.
func said(marker, stream string) string {
	var b strings.Builder
	for i := range 40 {
		fmt.Fprintf(&b, "%s %s %02d %s\n", marker, stream, i, strings.Repeat(stream[:1], 100))
	}
	return b.String()
}

var _ = Describe("a short process's output arrived after Exited closed: Exited waits for the kept output", func() {
	BeforeEach(guard.SkipUnlessPrivileged)

	It("has every byte of both streams kept once Exited is closed, in each of 200 short processes", func() {
		fd := netns.NewTransient()
		const n = 200
		// Some at a time, so that exits and output copying overlap as
		// they do for a test that starts several tools at once.
		var wg sync.WaitGroup
		sem := make(chan struct{}, 8)
		incomplete := make(chan string, n)
		for i := range n {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer GinkgoRecover()
				defer wg.Done()
				defer func() { <-sem }()
				marker := fmt.Sprintf("p%03d", i)
				p := netns.Start(fd, helper("say", marker))
				<-p.Exited()
				if p.Stdout() != said(marker, "out") || p.Stderr() != said(marker, "err") {
					incomplete <- fmt.Sprintf("%s: %d of %d stdout bytes, %d of %d stderr bytes", marker,
						len(p.Stdout()), len(said(marker, "out")), len(p.Stderr()), len(said(marker, "err")))
				}
			}()
		}
		wg.Wait()
		close(incomplete)
		var lines []string
		for l := range incomplete {
			lines = append(lines, l)
		}
		Expect(lines).To(BeEmpty(), "%d of %d processes had incomplete output when Exited closed", len(lines), n)
	})
})
