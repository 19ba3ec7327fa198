package nsops

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"time"

	"github.com/vishvananda/netlink"
)

// dumpPatience bounds how long RetryDump keeps trying when the dumped table
// keeps losing or changing entries: a namespace that does so for that long
// is being hammered on purpose, and the caller should hear about it.
// minDumpAttempts keeps a slow (emulated) machine, on which a few dumps take
// the whole patience, from giving up after only those few.
const (
	dumpPatience    = 5 * time.Second
	minDumpAttempts = 20
)

// RetryDump calls a netlink dump until it has an answer it can stand by.
// vishvananda/netlink v1.3.1 returns netlink.ErrDumpInterrupted, together
// with the whole but possibly inconsistent result, when the kernel reports
// that the dumped table changed between the parts of a multi-part dump.
//
// A dump that was not interrupted is returned as it is. Retries back off
// exponentially with jitter, so that a burst of changes can pass and a
// periodic writer cannot stay in step with the retries. A writer that keeps
// changing the table (a user's agent creating links, on a machine slow
// enough that a dump spans several of its changes) interrupts every dump,
// however long the retries wait; so RetryDump also accepts an interrupted
// dump that holds every entry of the interrupted dump just before it,
// unchanged, and returns it without repeated entries. An interruption can
// repeat an entry or skip one whose position an earlier deletion shifted;
// an entry present throughout both dumps is therefore missing from the
// answer only if both skipped it. The answer holds every entry present
// throughout the call, each as the kernel described it at some moment
// during the call, and entries added meanwhile may or may not be in it.
// While entries keep disappearing or changing, no dump is accepted, and
// RetryDump fails once that has lasted dumpPatience and minDumpAttempts.
func RetryDump[T any](dump func() ([]T, error)) ([]T, error) {
	start := time.Now()
	pause := 100 * time.Microsecond
	var previous []T
	interrupted := false
	for attempts := 1; ; attempts++ {
		began := time.Now()
		out, err := dump()
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			return out, err
		}
		if interrupted && holdsAll(out, previous) {
			return distinct(out), nil
		}
		previous, interrupted = out, true
		if attempts >= minDumpAttempts && time.Since(start) > dumpPatience {
			return nil, fmt.Errorf("dump interrupted %d times in a row within %s, each time with entries of the dump before it gone or changed: %w",
				attempts, time.Since(start).Round(time.Millisecond), err)
		}
		// The ceiling grows with the dump's own duration, so that on a slow
		// machine a pause still lets a burst of changes pass.
		ceiling := max(10*time.Millisecond, time.Since(began))
		time.Sleep(pause/2 + rand.N(pause/2+1))
		pause = min(2*pause, ceiling)
	}
}

// holdsAll reports whether every entry of want is in got, deeply equal. The
// kernel returns a table in the same order dump after dump, so the search
// for the next entry starts after the last one found, and only an entry
// out of that order costs a scan of got.
func holdsAll[T any](got, want []T) bool {
	next := 0
	for _, w := range want {
		found := false
		for i := range got {
			j := (next + i) % len(got)
			if reflect.DeepEqual(got[j], w) {
				next, found = j+1, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// repeatWindow is how far back distinct looks for an entry's earlier copy.
// An interrupted dump repeats an entry when insertions before its resume
// point shift entries it had sent past that point again, so the copies sit
// at most a few changes apart; a window keeps long tables from costing a
// comparison of every pair.
const repeatWindow = 64

// distinct returns entries without those an interrupted dump repeated,
// keeping the first of each.
func distinct[T any](entries []T) []T {
	out := make([]T, 0, len(entries))
	for _, e := range entries {
		repeated := false
		for _, kept := range out[max(0, len(out)-repeatWindow):] {
			if reflect.DeepEqual(kept, e) {
				repeated = true
				break
			}
		}
		if !repeated {
			out = append(out, e)
		}
	}
	return out
}
