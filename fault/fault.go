package fault

import (
	"reflect"
	"testing"

	. "github.com/onsi/ginkgo/v2"

	"github.com/scratchnet/scratchnet/internal/scope"
)

// A Fault is a change to a lab's network that can be applied and healed, again and again.
type Fault interface {
	// String names the fault for the timeline and messages, e.g. "partition {a b} | {c}".
	String() string
	// Apply starts the fault. It returns an error naming the fault and what failed.
	Apply() error
	// Heal ends the fault exactly: no rule, qdisc or state of it stays. Healing a fault that is not applied does nothing.
	Heal() error
}

// Inject applies f, records it on the current spec's fault timeline, and registers a cleanup that heals it
// (quietly, if its namespaces are already gone) at the end of the node. It fails the spec on error and returns f.
func Inject(f Fault) Fault {
	GinkgoHelper()
	return InjectT(GinkgoTB(), f)
}

// InjectT is [Inject] for plain testing users: the fault is healed through
// t.Cleanup, and failures are reported to t.
func InjectT(t testing.TB, f Fault) Fault {
	t.Helper()
	sc := scope.Of(t)
	tl := timelineOf(t, sc)
	if err := f.Apply(); err != nil {
		tl.record(f, "apply", "applied", "", err)
		t.Fatalf("%v", err)
	}
	tl.record(f, "apply", "applied", "", nil)
	in := tl.track(f)
	sc.Cleanup(t, func() {
		if !tl.isApplied(in) {
			return
		}
		err := f.Heal()
		tl.record(f, "heal", "healed", "at cleanup", err)
		if err != nil {
			t.Errorf("%v", err)
		}
	})
	return f
}

// Heal heals f now and records it on the timeline; it fails the spec on error.
func Heal(f Fault) {
	GinkgoHelper()
	HealT(GinkgoTB(), f)
}

// HealT is [Heal] for plain testing users.
func HealT(t testing.TB, f Fault) {
	t.Helper()
	tl := timelineOf(t, scope.Of(t))
	err := f.Heal()
	tl.record(f, "heal", "healed", "", err)
	if err != nil {
		t.Fatalf("%v", err)
	}
}

// same tells whether a and b are the same fault. Faults of types that Go
// cannot compare are the same only as the same value behind an interface
// holding a pointer; comparing them with == would panic.
func same(a, b Fault) bool {
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	if ta != tb || !ta.Comparable() {
		return false
	}
	return a == b
}
