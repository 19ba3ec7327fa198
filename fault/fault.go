package fault

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
)

// A Fault is a change to a lab's network that can be applied and healed, again and again.
type Fault interface {
	String() string // e.g. "reset tcp :8080 on server"
	Apply() error   // errors name the fault and what failed
	Heal() error    // exact; healing a fault that is not applied does nothing
}

// Inject applies f and registers a cleanup that heals it at the end of the
// node; it fails the spec on error and returns f.
func Inject(f Fault) Fault {
	GinkgoHelper()
	return InjectT(GinkgoTB(), f)
}

// InjectT is [Inject] for plain testing users: the fault is healed through
// t.Cleanup, and failures are reported to t.
func InjectT(t testing.TB, f Fault) Fault {
	t.Helper()
	if err := f.Apply(); err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		if err := f.Heal(); err != nil {
			t.Errorf("%v", err)
		}
	})
	return f
}

// Heal heals f now; it fails the spec on error.
func Heal(f Fault) {
	GinkgoHelper()
	HealT(GinkgoTB(), f)
}

// HealT is [Heal] for plain testing users.
func HealT(t testing.TB, f Fault) {
	t.Helper()
	if err := f.Heal(); err != nil {
		t.Fatalf("%v", err)
	}
}
