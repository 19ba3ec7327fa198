package fault_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/fault"
	"github.com/scratchnet/scratchnet/firewall"
	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/lab"
)

// safe is a counting fault that a plan's goroutine and the spec may use at
// once.
type safe struct {
	mu sync.Mutex
	counting
}

func (s *safe) Apply() error { s.mu.Lock(); defer s.mu.Unlock(); return s.counting.Apply() }
func (s *safe) Heal() error  { s.mu.Lock(); defer s.mu.Unlock(); return s.counting.Heal() }
func (s *safe) isApplied() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applied
}

// whats returns what the current spec's timeline says happened, from event
// number from on, without the times.
func whats(from int) []string {
	var out []string
	for _, e := range fault.Timeline()[from:] {
		out = append(out, e.What)
	}
	return out
}

var _ = Describe("Plan", func() {
	It("applies and heals at its times, in order, and tells the timeline", func() {
		p1, flap := &safe{counting: counting{name: "p1"}}, &safe{counting: counting{name: "flap"}}
		plan := fault.NewPlan(
			fault.At(100*time.Millisecond, p1),
			fault.Every(60*time.Millisecond, 2, flap),
			fault.HealAt(200*time.Millisecond, p1),
		)
		Expect(plan.String()).To(Equal(strings.Join([]string{"plan",
			"  at 60ms apply flap",
			"  at 100ms apply p1",
			"  at 120ms apply flap",
			"  at 200ms heal p1"}, "\n")))
		plan.Start()
		plan.Wait()
		Expect(whats(0)).To(Equal([]string{
			"started plan",
			"applied flap (plan, at 60ms)",
			"applied p1 (plan, at 100ms)",
			"healed flap (plan, at 120ms)",
			"applied flap (plan, at 120ms)",
			"healed p1 (plan, at 200ms)",
		}))
		ev := fault.Timeline()
		Expect(ev[2].Since).To(BeNumerically(">=", 100*time.Millisecond), "p1 applied no earlier than planned")
		plan.Stop()
		Expect(flap.isApplied()).To(BeFalse(), "Stop heals what the plan left applied")
		Expect(whats(6)).To(Equal([]string{"healed flap at stop of plan", "stopped plan"}))
		Expect(flap.applies).To(Equal(2))
	})

	It("stops at the end of the node, healing what it applied, and runs no later step", func() {
		early, late := &safe{counting: counting{name: "early"}}, &safe{counting: counting{name: "late"}}
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			fault.NewPlan(fault.At(0, early), fault.At(time.Hour, late)).StartT(t)
			Eventually(early.isApplied).Should(BeTrue())
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(early.isApplied()).To(BeFalse())
		Expect(late.applies).To(Equal(0))
	})

	It("fails the spec at Stop with the errors of its steps", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			plan := fault.NewPlan(fault.At(0, &safe{counting: counting{name: "broken", failApply: true}}))
			plan.StartT(t)
			plan.Wait()
		})
		Expect(rec.Failures()).To(ConsistOf("plan: cannot apply broken, reason: told to fail"))
	})

	It("refuses steps that make no sense, naming them", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			fault.NewPlan(fault.Every(0, 3, &counting{name: "f"})).StartT(t)
		})
		Expect(rec.Failures()).To(ConsistOf("cannot start plan, reason: Every(0s, 3, f): need a positive period and at least one time"))
	})
})

var _ = Describe("Random", func() {
	It("draws the same plan from the same seed, and another from another", func() {
		faults := []fault.Fault{&counting{name: "a"}, &counting{name: "b"}, &counting{name: "c"}}
		p := fault.Random(faults, fault.Seed(7), fault.Count(5))
		Expect(p.String()).To(HavePrefix("random plan, seed 7\n"))
		Expect(strings.Count(p.String(), " apply ")).To(Equal(5))
		Expect(fault.Random(faults, fault.Seed(7), fault.Count(5)).String()).To(Equal(p.String()))
		Expect(fault.Random(faults, fault.Seed(8), fault.Count(5)).String()).NotTo(Equal(p.String()))
	})

	It("takes the run's Ginkgo seed without Seed", func() {
		p := fault.Random([]fault.Fault{&counting{name: "a"}})
		Expect(p.String()).To(HavePrefix(fmt.Sprintf("random plan, seed %d\n", GinkgoRandomSeed())))
	})

	It("prints its seed, to replay it", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			p := fault.Random([]fault.Fault{&counting{name: "a"}}, fault.Seed(42), fault.Count(1))
			p.StartT(t)
			p.Stop()
		})
		Expect(rec.Logs()).To(ContainElement("random plan, seed 42: replay it with fault.Seed(42)"))
	})

	It("applied twice from one seed to a lab, gives the same timeline", func() {
		guard.SkipUnlessPrivileged()
		firewall.SkipUnlessSupported(firewall.Tables)
		l := lab.New()
		a, b, c := l.Host("a"), l.Host("b"), l.Host("c")
		ifs := l.Segment("lan").Attach(a, b, c)
		faults := []fault.Fault{
			fault.Partition([]*lab.Host{a}, []*lab.Host{b, c}),
			fault.OneWay([]*lab.Host{c}, []*lab.Host{a, b}),
			fault.Blackhole(ifs[1]),
			fault.Unplug(ifs[2]),
		}
		run := func() (string, []string) {
			from := len(fault.Timeline())
			p := fault.Random(faults, fault.Seed(2026), fault.Count(4), fault.Gap(40*time.Millisecond), fault.Hold(20*time.Millisecond, 60*time.Millisecond))
			p.Start()
			p.Wait()
			p.Stop()
			return p.String(), whats(from)
		}
		plan1, timeline1 := run()
		plan2, timeline2 := run()
		Expect(plan2).To(Equal(plan1))
		Expect(timeline1).To(HaveLen(4*2 + 2))
		Expect(timeline2).To(Equal(timeline1))
		for _, h := range []*lab.Host{a, b, c} {
			Expect(faultTables(h.Netns())).To(BeEmpty())
		}
	})
})
