package closer_test

import (
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/closer"
)

func TestCloser(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "closer package")
}

var _ = guard.Suite()

// slow is a file whose close takes until release is closed.
type slow struct {
	release chan struct{}
	closed  chan struct{}
}

func newSlow() *slow { return &slow{release: make(chan struct{}), closed: make(chan struct{})} }

func (s *slow) Close() error {
	<-s.release
	close(s.closed)
	return nil
}

var _ = Describe("closing in the background", func() {

	It("returns at once, and Wait waits for every close handed over", func() {
		a, b := newSlow(), newSlow()
		closer.Close(a)
		closer.Close(b)
		Expect(closer.Wait(20*time.Millisecond)).To(BeFalse(), "both closes still run")
		close(a.release)
		Eventually(a.closed).Should(BeClosed())
		Expect(closer.Wait(20*time.Millisecond)).To(BeFalse(), "one close still runs")
		close(b.release)
		Expect(closer.Wait(time.Second)).To(BeTrue())
		Expect(b.closed).To(BeClosed())
	})

	It("does not wait when nothing is being closed", func() {
		Expect(closer.Wait(0)).To(BeTrue())
	})
})
