package fault

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/scratchnet/scratchnet/internal/diag"
	"github.com/scratchnet/scratchnet/internal/scope"
)

// A timeline is what happened to the faults of one cleanup scope (one spec
// or plain test), in order, for its failure report.
type timeline struct {
	// start is the spec's start for a Ginkgo spec; a plain test has no
	// recorded start, and its timeline counts from its first event.
	start     time.Time
	fromFirst bool

	mu       sync.Mutex
	events   []event
	injected []*injection
}

type event struct {
	at   time.Time
	what string
}

// An injection is one fault applied by Inject, until it is healed.
type injection struct {
	f       Fault
	applied bool
}

var (
	timelinesMu sync.Mutex
	timelines   = map[*scope.Scope]*timeline{}
)

// timelineOf returns the timeline of scope sc, to which t belongs, making it
// and arranging for its report on first use.
func timelineOf(t testing.TB, sc *scope.Scope) *timeline {
	timelinesMu.Lock()
	defer timelinesMu.Unlock()
	if tl, ok := timelines[sc]; ok {
		return tl
	}
	tl := &timeline{start: time.Now(), fromFirst: true}
	if _, ok := t.(*GinkgoTBWrapper); ok {
		if st := CurrentSpecReport().StartTime; !st.IsZero() {
			tl.start, tl.fromFirst = st, false
		}
	}
	timelines[sc] = tl
	sc.Cleanup(t, func() {
		timelinesMu.Lock()
		delete(timelines, sc)
		timelinesMu.Unlock()
	})
	diag.Watch(t, sc, "fault timeline", diag.Caller(), tl.targets)
	return tl
}

// note records an event that is not about one fault, such as a plan's seed.
func (tl *timeline) note(what string) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.events = append(tl.events, event{at: time.Now(), what: what})
}

// record records what happened to f: done, such as "healed", or if err is
// not nil, that doing it failed and why, each followed by context, such as
// "at cleanup"; and keeps track of the faults Inject applied.
func (tl *timeline) record(f Fault, doing, done, context string, err error) {
	if context != "" {
		context = " " + context
	}
	if err != nil {
		// The fault's errors name the fault.
		tl.note(doing + context + " failed: " + err.Error())
		return
	}
	tl.note(done + " " + f.String() + context)
	if done == "applied" {
		return
	}
	tl.mu.Lock()
	defer tl.mu.Unlock()
	for _, in := range tl.injected {
		if same(in.f, f) {
			in.applied = false
		}
	}
}

func (tl *timeline) track(f Fault) *injection {
	in := &injection{f: f, applied: true}
	tl.mu.Lock()
	tl.injected = append(tl.injected, in)
	tl.mu.Unlock()
	return in
}

func (tl *timeline) isApplied(in *injection) bool {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return in.applied
}

// Lines returns the timeline as the report shows it: each event's time
// relative to the spec's start, then its wall-clock time in the format of
// the captures' decoded packets, so that both can be read side by side.
func (tl *timeline) lines() []string {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if len(tl.events) == 0 {
		return nil
	}
	origin, start := "the spec's start", tl.origin()
	if tl.fromFirst {
		origin = "the first event"
	}
	out := []string{fmt.Sprintf("times relative to %s (%s)", origin, start.Format("15:04:05.000000"))}
	for _, e := range tl.events {
		out = append(out, fmt.Sprintf("  %+9.3fs  %s  %s", e.at.Sub(start).Seconds(), e.at.Format("15:04:05.000000"), e.what))
	}
	return out
}

func (tl *timeline) targets() []diag.Target {
	lines := tl.lines()
	if len(lines) == 0 {
		return nil
	}
	return []diag.Target{{Text: strings.Join(lines, "\n") + "\n"}}
}

// An Event is one entry of a spec's fault timeline.
type Event struct {
	// Since is the time from the spec's start (for a plain test, from its
	// first event).
	Since time.Duration
	// Time is the wall-clock time, as captures stamp packets.
	Time time.Time
	// What tells what happened, such as "applied partition {a} | {b}".
	What string
}

// Timeline returns the events of the current spec's fault timeline so far,
// in order, such as to assert how long after a fault the code under test
// reacted.
func Timeline() []Event {
	GinkgoHelper()
	return TimelineT(GinkgoTB())
}

// TimelineT is [Timeline] for plain testing users.
func TimelineT(t testing.TB) []Event {
	t.Helper()
	tl := timelineOf(t, scope.Of(t))
	tl.mu.Lock()
	defer tl.mu.Unlock()
	start := tl.origin()
	out := make([]Event, 0, len(tl.events))
	for _, e := range tl.events {
		out = append(out, Event{Since: e.at.Sub(start), Time: e.at, What: e.what})
	}
	return out
}

// origin is the time the timeline counts from; tl.mu is held.
func (tl *timeline) origin() time.Time {
	if tl.fromFirst && len(tl.events) > 0 {
		return tl.events[0].at
	}
	return tl.start
}
