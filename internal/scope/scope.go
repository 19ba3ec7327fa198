// Package scope ties what the library creates for a test to the cleanup
// scope it was created in: one testing.TB for plain testing, one running spec
// for Ginkgo's per-spec nodes (BeforeEach, JustBeforeEach, It).
//
// A scope answers two questions the public packages cannot answer alone:
//
//   - When does the first of the library's cleanups for this test run? Every
//     cleanup registered through [Scope.Cleanup] first runs, once per scope,
//     the hooks given to [Scope.BeforeTeardown]: failure reports are taken
//     there, so they show the state the test body left, before any link,
//     route or process of the library is removed.
//   - Will this namespace be torn down by the library right after this link's
//     cleanup? A transient namespace registered with [Scope.Own] is closed by
//     a cleanup that runs after every cleanup registered later in the same
//     scope (cleanups run last-in first-out). A link whose every end lives in
//     such namespaces dies with them, so its own explicit deletion, which
//     costs the kernel an RCU grace period, can be skipped ([Scope.Dies]);
//     when that is already certain at creation, the link needs no cleanup
//     of its own either ([Scope.LeaveTo]).
//
// Ginkgo nodes other than the per-spec ones (BeforeAll, AfterEach, cleanup
// callbacks, suite nodes) each get a scope of their own that nothing else
// shares: what they create is cleaned up on its own, as if no scope existed.
package scope

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// Scope is one cleanup scope; see the package documentation.
type Scope struct {
	t   testing.TB
	key any

	mu      sync.Mutex
	started bool
	before  []func()
	owned   map[uint64]*ownedNs
}

type ownedNs struct {
	closed bool
	// holds counts the references that other scopes keep on the namespace,
	// such as a process or a pinned name that outlives this scope.
	holds int
	// left is what was left to the namespace's teardown (see
	// [Scope.LeaveTo]), in the order left.
	left []*departure
}

// departure is one thing left to the teardown of a set of namespaces.
type departure struct {
	inos []uint64
	done bool
	end  func(outlives bool)
}

var (
	mu     sync.Mutex
	scopes = map[any]*Scope{}
)

// specKey identifies one attempt of one running Ginkgo spec in this process.
type specKey struct {
	location types.CodeLocation
	text     string
	start    time.Time
}

// Of returns the scope t's cleanups belong to, making it on first use.
func Of(t testing.TB) *Scope {
	key := keyOf(t)
	if key == nil {
		return &Scope{t: t, owned: map[uint64]*ownedNs{}}
	}
	mu.Lock()
	defer mu.Unlock()
	if s, ok := scopes[key]; ok {
		s.mu.Lock()
		usable := !s.started
		s.mu.Unlock()
		if usable {
			s.t = t
			return s
		}
	}
	s := &Scope{t: t, key: key, owned: map[uint64]*ownedNs{}}
	scopes[key] = s
	return s
}

// keyOf returns what identifies t's scope, or nil for a scope of its own.
func keyOf(t testing.TB) any {
	if _, ok := t.(*ginkgo.GinkgoTBWrapper); !ok {
		return t
	}
	report := ginkgo.CurrentSpecReport()
	events := report.SpecEvents
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].SpecEventType != types.SpecEventNodeStart {
			continue
		}
		// Cleanups registered in these nodes all run at the end of the
		// spec, in one last-in first-out sequence.
		if !events[i].NodeType.Is(types.NodeTypeIt | types.NodeTypeBeforeEach | types.NodeTypeJustBeforeEach) {
			return nil
		}
		return specKey{location: report.LeafNodeLocation, text: report.FullText(), start: report.StartTime}
	}
	return nil
}

// Cleanup registers fn as a cleanup of t that belongs to the scope. Before
// the first such cleanup of the scope runs, the scope's BeforeTeardown
// hooks run, once.
func (s *Scope) Cleanup(t testing.TB, fn func()) {
	t.Cleanup(func() {
		s.teardownStarts()
		fn()
	})
}

// BeforeTeardown registers fn to run once, just before the first of the
// scope's cleanups. Hooks run in the order registered. A hook registered
// after teardown began runs at once.
func (s *Scope) BeforeTeardown(fn func()) {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		fn()
		return
	}
	s.before = append(s.before, fn)
	s.mu.Unlock()
}

func (s *Scope) teardownStarts() {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return
	}
	s.started = true
	hooks := s.before
	s.before = nil
	s.mu.Unlock()
	if s.key != nil {
		mu.Lock()
		if scopes[s.key] == s {
			delete(scopes, s.key)
		}
		mu.Unlock()
	}
	for _, h := range hooks {
		h()
	}
}

// Own records that the library closes its only reference to the namespace
// with inode ino in a cleanup registered through this scope, and returns
// the function that cleanup calls just before it closes the namespace.
func (s *Scope) Own(ino uint64) (closing func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ns := &ownedNs{}
	s.owned[ino] = ns
	return func() {
		s.mu.Lock()
		var due []*departure
		var outlives []bool
		for _, d := range ns.left {
			if d.done {
				continue
			}
			d.done = true
			due = append(due, d)
			outlives = append(outlives, !s.diesLocked(d.inos))
		}
		ns.left = nil
		ns.closed = true
		s.mu.Unlock()
		// Last left, first ended, as cleanups run.
		for i := len(due) - 1; i >= 0; i-- {
			due[i].end(outlives[i])
		}
	}
}

// LeaveTo leaves something that lives only in the namespaces of inos to
// their teardown, without a cleanup of its own, when every one of them dies
// with the scope now (see [Scope.Dies]), and reports whether it did. If not,
// nothing is recorded and the caller registers its own cleanup.
//
// A cleanup node costs Ginkgo more than the link it would skip deleting
// (tens of microseconds to register and to run), so what provably dies
// needs none. What the caller left is ended exactly once, by the first of
// these namespaces to be closed, just before that namespace is: end is
// called with outlives true if by then one of them no longer dies with the
// scope (something of another scope took a hold on it since), and the
// caller must then remove what it left itself, at once; with false it only
// releases what it kept for that case.
func (s *Scope) LeaveTo(inos []uint64, end func(outlives bool)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.diesLocked(inos) {
		return false
	}
	d := &departure{inos: inos, end: end}
	for _, ino := range inos {
		s.owned[ino].left = append(s.owned[ino].left, d)
	}
	return true
}

// Hold records that something cleaned up in scope holder keeps the
// namespace with inode ino alive; release ends the hold. Holds from the
// namespace's own scope are released before the namespace is closed and
// need not be recorded.
func Hold(holder *Scope, ino uint64) (release func()) {
	owner := ownerOf(ino)
	if owner == nil || owner == holder {
		return func() {}
	}
	owner.mu.Lock()
	ns := owner.owned[ino]
	ns.holds++
	owner.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			owner.mu.Lock()
			ns.holds--
			owner.mu.Unlock()
		})
	}
}

func ownerOf(ino uint64) *Scope {
	mu.Lock()
	defer mu.Unlock()
	for _, s := range scopes {
		s.mu.Lock()
		ns, ok := s.owned[ino]
		open := ok && !ns.closed
		s.mu.Unlock()
		if open {
			return s
		}
	}
	return nil
}

// Dies reports whether every namespace of inos is owned by this scope,
// still open, and held by nothing outside it: the library then closes each
// of them after every cleanup registered in this scope later than the
// namespace, and nothing that lives only in them outlives the scope. A
// cleanup asks this when it runs, not when it is registered.
func (s *Scope) Dies(inos ...uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.diesLocked(inos)
}

func (s *Scope) diesLocked(inos []uint64) bool {
	if len(inos) == 0 {
		return false
	}
	for _, ino := range inos {
		ns, ok := s.owned[ino]
		if !ok || ns.closed || ns.holds > 0 {
			return false
		}
	}
	return true
}

// DiesAt is [Scope.Dies] for the namespaces the fds refer to; it is false
// when one of them cannot be identified.
func (s *Scope) DiesAt(fds ...int) bool {
	inos := make([]uint64, 0, len(fds))
	for _, fd := range fds {
		ino, err := nsops.Ino(fd)
		if err != nil {
			return false
		}
		inos = append(inos, ino)
	}
	return s.Dies(inos...)
}

// String names the scope in messages.
func (s *Scope) String() string {
	if k, ok := s.key.(specKey); ok {
		return fmt.Sprintf("spec %q", k.text)
	}
	return fmt.Sprintf("test %q", s.t.Name())
}
