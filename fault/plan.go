package fault

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/scratchnet/scratchnet/internal/scope"
)

// A Step is what a [Plan] does at one or more times relative to its start.
type Step struct {
	actions []action
	err     error
}

// An action is one apply or heal of a plan, at its time.
type action struct {
	at   time.Duration
	f    Fault
	heal bool
}

func (a action) String() string {
	verb := "apply"
	if a.heal {
		verb = "heal"
	}
	return fmt.Sprintf("at %v %s %s", a.at, verb, a.f)
}

// At applies f at time at after the plan's start; if the plan applied f
// before and has not healed it, it heals it first.
func At(at time.Duration, f Fault) Step {
	if at < 0 {
		return Step{err: fmt.Errorf("At(%v, %s): the time is negative", at, f)}
	}
	return Step{actions: []action{{at: at, f: f}}}
}

// HealAt heals f at time at after the plan's start, whether the plan or
// the spec applied it.
func HealAt(at time.Duration, f Fault) Step {
	if at < 0 {
		return Step{err: fmt.Errorf("HealAt(%v, %s): the time is negative", at, f)}
	}
	return Step{actions: []action{{at: at, f: f, heal: true}}}
}

// Every applies f times times, every period from the plan's start: at
// period, 2×period, and so on, healing it first each time if it is
// applied. A fault that ends by itself, such as a [Flap], fits it best.
func Every(period time.Duration, times int, f Fault) Step {
	if period <= 0 || times < 1 {
		return Step{err: fmt.Errorf("Every(%v, %d, %s): need a positive period and at least one time", period, times, f)}
	}
	s := Step{}
	for n := 1; n <= times; n++ {
		s.actions = append(s.actions, action{at: time.Duration(n) * period, f: f})
	}
	return s
}

// A Plan applies and heals faults at times relative to its start, in the
// background, from [Plan.Start] until its last step or [Plan.Stop]. What it
// does goes on the fault timeline of the spec that started it. A plan can
// be started again once stopped; it then begins anew.
type Plan struct {
	name    string
	actions []action
	err     error
	// seed is set for a random plan, to say how to replay it.
	seed *uint64

	mu      sync.Mutex
	t       testing.TB
	tl      *timeline
	stop    chan struct{}
	done    chan struct{}
	applied []Fault
	errs    []error
}

// NewPlan returns a plan of the steps. Steps at the same time run in the
// order given.
func NewPlan(steps ...Step) *Plan {
	p := &Plan{name: "plan"}
	for _, s := range steps {
		if s.err != nil && p.err == nil {
			p.err = s.err
		}
		p.actions = append(p.actions, s.actions...)
	}
	slices.SortStableFunc(p.actions, func(a, b action) int { return cmp.Compare(a.at, b.at) })
	return p
}

// String lists what the plan does, a step a line, such as "at 500ms apply
// partition {a b} | {c}", after its name (and seed, for a random plan).
func (p *Plan) String() string {
	lines := []string{p.name}
	for _, a := range p.actions {
		lines = append(lines, "  "+a.String())
	}
	return strings.Join(lines, "\n")
}

// Start starts the plan's clock and runs its steps in the background. The
// plan is stopped, and what it applied healed, at the end of the current
// node at the latest. A random plan's seed is written to GinkgoWriter and
// the timeline.
func (p *Plan) Start() {
	GinkgoHelper()
	p.StartT(GinkgoTB())
}

// StartT is [Plan.Start] for plain testing users; the seed of a random plan
// is logged with t.Logf, and the plan is stopped through t.Cleanup.
func (p *Plan) StartT(t testing.TB) {
	t.Helper()
	if p.err != nil {
		t.Fatalf("cannot start %s, reason: %v", p.name, p.err)
	}
	sc := scope.Of(t)
	tl := timelineOf(t, sc)
	p.mu.Lock()
	if p.stop != nil {
		p.mu.Unlock()
		t.Fatalf("cannot start %s, reason: it is running; stop it first", p.name)
	}
	p.t, p.tl, p.applied, p.errs = t, tl, nil, nil
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	stop, done := p.stop, p.done
	p.mu.Unlock()
	if p.seed != nil {
		t.Logf("%s: replay it with fault.Seed(%d)", p.name, *p.seed)
	}
	tl.note(fmt.Sprintf("started %s", p.name))
	sc.Cleanup(t, func() { p.stopAndHeal(false) })
	go p.run(time.Now(), stop, done)
}

func (p *Plan) run(start time.Time, stop, done chan struct{}) {
	defer close(done)
	for _, a := range p.actions {
		if !sleep(time.Until(start.Add(a.at)), stop) {
			return
		}
		p.mu.Lock()
		p.do(a)
		p.mu.Unlock()
	}
}

// do runs one action; p.mu is held. A heal heals the fault whether or
// not the plan applied it: a plan can end what the spec injected.
func (p *Plan) do(a action) {
	at := fmt.Sprintf("(%s, at %v)", p.name, a.at)
	i := slices.IndexFunc(p.applied, func(g Fault) bool { return same(g, a.f) })
	if i >= 0 || a.heal {
		err := a.f.Heal()
		p.tl.record(a.f, "heal", "healed", at, err)
		if i >= 0 {
			p.applied = slices.Delete(p.applied, i, i+1)
		}
		if err != nil {
			p.errs = append(p.errs, err)
			return
		}
	}
	if a.heal {
		return
	}
	err := a.f.Apply()
	p.tl.record(a.f, "apply", "applied", at, err)
	if err != nil {
		p.errs = append(p.errs, err)
		return
	}
	p.applied = append(p.applied, a.f)
}

// Wait waits until the plan has run its last step (or was stopped), and
// reports the errors of its steps; it leaves applied what the plan left
// applied.
func (p *Plan) Wait() {
	p.mu.Lock()
	done, t := p.done, p.t
	p.mu.Unlock()
	if done == nil {
		return
	}
	t.Helper()
	<-done
	p.report()
}

// Stop stops the plan, waiting for a step under way, heals what the plan
// applied and did not heal, and fails the spec (as the t given to StartT)
// with the errors of its steps. Stopping a plan that is not running does
// nothing.
func (p *Plan) Stop() { p.stopAndHeal(true) }

func (p *Plan) stopAndHeal(explicit bool) {
	p.mu.Lock()
	stop, done, t := p.stop, p.done, p.t
	p.mu.Unlock()
	if stop == nil {
		return
	}
	if explicit {
		t.Helper()
	}
	close(stop)
	<-done
	p.mu.Lock()
	for _, f := range slices.Backward(p.applied) {
		err := f.Heal()
		p.tl.record(f, "heal", "healed", "at stop of "+p.name, err)
		if err != nil {
			p.errs = append(p.errs, err)
		}
	}
	p.applied = nil
	p.tl.note("stopped " + p.name)
	p.stop, p.done = nil, nil
	p.mu.Unlock()
	p.report()
}

// report fails the test with the errors the steps met, once each.
func (p *Plan) report() {
	p.mu.Lock()
	errs, t := p.errs, p.t
	p.errs = nil
	p.mu.Unlock()
	for _, err := range errs {
		t.Errorf("%s: %v", p.name, err)
	}
}

// RandomOpt configures a [Random] plan.
type RandomOpt func(*randomPlan) error

type randomPlan struct {
	seed    uint64
	seeded  bool
	count   int
	maxGap  time.Duration
	minHold time.Duration
	maxHold time.Duration
}

// Seed makes a random plan draw from this seed, to replay the plan of an
// earlier run, whose seed the timeline and GinkgoWriter show.
func Seed(seed uint64) RandomOpt {
	return func(r *randomPlan) error { r.seed, r.seeded = seed, true; return nil }
}

// Count makes a random plan apply n faults (4 without it).
func Count(n int) RandomOpt {
	return func(r *randomPlan) error {
		if n < 1 {
			return fmt.Errorf("Count(%d): need at least one fault", n)
		}
		r.count = n
		return nil
	}
}

// Gap makes a random plan wait a time drawn from [0, max) before each
// fault (300ms without it).
func Gap(max time.Duration) RandomOpt {
	return func(r *randomPlan) error {
		if max <= 0 {
			return fmt.Errorf("Gap(%v): need a positive time", max)
		}
		r.maxGap = max
		return nil
	}
}

// Hold makes a random plan hold each fault for a time drawn from [min, max)
// before it heals it (100ms to 300ms without it).
func Hold(min, max time.Duration) RandomOpt {
	return func(r *randomPlan) error {
		if min <= 0 || max <= min {
			return fmt.Errorf("Hold(%v, %v): need 0 < min < max", min, max)
		}
		r.minHold, r.maxHold = min, max
		return nil
	}
}

// Random returns a plan of faults drawn at random from faults, one after
// another: a quiet gap, a fault applied, held, and healed, and the next.
// Everything it draws comes from its seed: [Seed], or else the run's Ginkgo
// random seed (GinkgoRandomSeed, which -ginkgo.seed sets), so that the same
// seed gives the same plan. The plan's name shows the seed.
func Random(faults []Fault, opts ...RandomOpt) *Plan {
	r := &randomPlan{count: 4, maxGap: 300 * time.Millisecond, minHold: 100 * time.Millisecond, maxHold: 300 * time.Millisecond}
	var err error
	for i, o := range opts {
		if e := o(r); e != nil && err == nil {
			err = fmt.Errorf("option %d: %w", i+1, e)
		}
	}
	if len(faults) == 0 && err == nil {
		err = fmt.Errorf("no faults to draw from")
	}
	if !r.seeded {
		r.seed = uint64(GinkgoRandomSeed())
	}
	seed := r.seed
	p := &Plan{name: fmt.Sprintf("random plan, seed %d", seed), seed: &seed, err: err}
	if err != nil {
		return p
	}
	rnd := rand.New(rand.NewPCG(seed, seed))
	var at time.Duration
	for range r.count {
		at += drawMs(rnd, 0, r.maxGap)
		f := faults[rnd.IntN(len(faults))]
		p.actions = append(p.actions, action{at: at, f: f})
		at += drawMs(rnd, r.minHold, r.maxHold)
		p.actions = append(p.actions, action{at: at, f: f, heal: true})
	}
	return p
}

// drawMs draws a time from [min, max) in whole milliseconds, as plans are
// read, or min if the range holds none.
func drawMs(rnd *rand.Rand, min, max time.Duration) time.Duration {
	span := int64((max - min) / time.Millisecond)
	if span <= 0 {
		return min
	}
	return min + time.Duration(rnd.Int64N(span))*time.Millisecond
}
