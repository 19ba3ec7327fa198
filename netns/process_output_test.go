package netns_test

import (
	"fmt"
	"os/exec"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/netns"
)

// said is what [say] writes to the stream ("out" or "err") for marker.
func said(marker, stream string) string {
	var b strings.Builder
	for i := 10; i < 50; i++ {
		fmt.Fprintf(&b, "%s %s %d %s\n", marker, stream, i, strings.Repeat(stream[:1], 100))
	}
	return b.String()
}

// say returns a command that writes 40 lines to each of its output streams,
// as [said] describes them, and exits. It is a shell, which starts far
// quicker than the re-executed test binary, the more so under the race
// detector.
func say(marker string) *exec.Cmd {
	script := fmt.Sprintf(`i=10; while [ $i -lt 50 ]; do echo "$0 out $i %s"; echo "$0 err $i %s" >&2; i=$((i+1)); done`,
		strings.Repeat("o", 100), strings.Repeat("e", 100))
	return exec.Command("/bin/sh", "-c", script, marker)
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
				p := netns.Start(fd, say(marker))
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
