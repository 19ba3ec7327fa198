package fault_test

import (
	"fmt"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/fault"
	"github.com/scratchnet/scratchnet/internal/testsupport"
)

// counting is a fault that only counts its applies and heals, to test the
// wrappers without a lab.
type counting struct {
	name           string
	applied        bool
	applies, heals int
	failApply      bool
}

func (c *counting) String() string { return c.name }

func (c *counting) Apply() error {
	if c.failApply {
		return fmt.Errorf("cannot apply %s, reason: told to fail", c.name)
	}
	c.applied = true
	c.applies++
	return nil
}

func (c *counting) Heal() error {
	if c.applied {
		c.applied = false
		c.heals++
	}
	return nil
}

var _ = Describe("Inject and Heal", func() {
	It("heal an injected fault at the end of the node once, and not again after Heal", func() {
		healedAtCleanup := &counting{name: "left applied"}
		healedBySpec := &counting{name: "healed by the spec"}
		DeferCleanup(func() {
			Expect(healedAtCleanup.heals).To(Equal(1))
			Expect(healedBySpec.heals).To(Equal(1))
		})
		Expect(fault.Inject(healedAtCleanup)).To(BeIdenticalTo(healedAtCleanup))
		fault.Inject(healedBySpec)
		Expect(healedBySpec.applied).To(BeTrue())
		fault.Heal(healedBySpec)
		Expect(healedBySpec.applied).To(BeFalse())
		Expect(healedAtCleanup.applied).To(BeTrue())
	})

	It("fail the test with the fault's own error, and show it on the timeline of the report", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			fault.InjectT(t, &counting{name: "broken", failApply: true})
		})
		Expect(rec.Failures()).To(ConsistOf("cannot apply broken, reason: told to fail"))
		Expect(rec.Logs()).To(ContainElement(MatchRegexp(
			`(?s)^fault timeline \(created at .*\)\ntimes relative to the first event \(\d\d:\d\d:\d\d\.\d{6}\)\n +\+0\.000s  \d\d:\d\d:\d\d\.\d{6}  apply failed: cannot apply broken, reason: told to fail\n$`)))
	})
})
