package snapshot

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/diag"
	"github.com/scratchnet/scratchnet/internal/nsops"
)

// A Snapshot is the network state of one namespace at one moment, as
// items sorted by section and then naturally by their text. It holds no
// fd: it stays valid after the namespace is gone.
type Snapshot struct {
	items []Item
	cfg   config
}

// An Item is one piece of network state, such as a link, an address or a
// route: its kind ("link", "route", "nft chain" ...), its name within that
// kind, and its fields in the order they are shown.
type Item struct {
	// Kind says what the item is; its first word is its [Section].
	Kind string
	// Name names the item within its kind, such as a link's name or a
	// route's destination.
	Name string
	// Fields are the item's details, in the order shown.
	Fields []Field
	// Kernel marks what the kernel made by itself (routes of proto kernel,
	// the local table, fe80::/64 and ff00::/8, the default policy rules,
	// default qdiscs, tunnel modules' fallback links); such items are in a
	// snapshot only with [KeepKernelItems].
	Kernel bool
}

// A Field is one detail of an item. Key fields identify the item together
// with its kind and name: an item whose key fields differ is another item
// (removed and added in a diff), one whose other fields differ has changed.
type Field struct {
	// Name is shown before the value; a key field may have none, such as
	// a link's kind.
	Name  string
	Value string
	Key   bool
}

// String renders the item as one line, such as
// "route 10.0.0.0/24 via 10.0.1.1 dev eth0 table main".
func (it Item) String() string {
	s := it.Kind + " " + it.Name
	for _, f := range it.Fields {
		s += " " + f.text()
	}
	if it.Kernel {
		s += " (kernel)"
	}
	return s
}

func (f Field) text() string {
	if f.Name == "" {
		return f.Value
	}
	return f.Name + " " + f.Value
}

// identity is what matches an item of one snapshot with the same item of
// another: kind, name and key fields.
func (it Item) identity() string {
	s := it.Kind + "\x00" + it.Name
	for _, f := range it.Fields {
		if f.Key {
			s += "\x00" + f.text()
		}
	}
	return s
}

// label names the item in a change line: kind, name and named key fields,
// such as "route 10.0.0.0/24 table main".
func (it Item) label() string {
	s := it.Kind + " " + it.Name
	for _, f := range it.Fields {
		if f.Key && f.Name != "" {
			s += " " + f.text()
		}
	}
	return s
}

// Items returns the snapshot's items, sorted; the caller may keep and
// change the returned slice.
func (s *Snapshot) Items() []Item { return slices.Clone(s.items) }

// Lines returns the snapshot's items as lines, sorted, as [Item.String]
// renders them.
func (s *Snapshot) Lines() []string {
	lines := make([]string, len(s.items))
	for i, it := range s.items {
		lines[i] = it.String()
	}
	return lines
}

// String renders the snapshot one item a line, each line ending in a
// newline, as a golden file holds it.
func (s *Snapshot) String() string {
	var b strings.Builder
	for _, l := range s.Lines() {
		b.WriteString(l + "\n")
	}
	return b.String()
}

// Take snapshots the network namespace ns: an open fd (int or a type
// based on it), a path such as /run/netns/blue or /proc/1/ns/net, or
// anything with a Netns() int method, such as a lab host. It fails the
// spec when ns is none of these or when the namespace cannot be read. The
// snapshot holds what the options select; by default every [Section].
func Take(ns any, opts ...Option) *Snapshot {
	GinkgoHelper()
	return TakeT(GinkgoTB(), ns, opts...)
}

// TakeT is [Take] for plain testing users.
func TakeT(t testing.TB, ns any, opts ...Option) *Snapshot {
	t.Helper()
	s, err := Collect(ns, opts...)
	if err != nil {
		t.Fatal(err.Error())
	}
	return s
}

// Collect is [Take] returning its error instead of failing a test, for
// code that reports on its own, such as the guard package.
func Collect(ns any, opts ...Option) (*Snapshot, error) {
	cfg, err := configure(opts)
	if err != nil {
		return nil, err
	}
	var s *Snapshot
	err = withNs(ns, func(fd int) error {
		items, err := collect(fd, cfg)
		if err != nil {
			return fmt.Errorf("cannot take snapshot of %s, reason: %w", nsops.Describe(fd), err)
		}
		s = &Snapshot{items: items, cfg: cfg}
		return nil
	})
	return s, err
}

// netnsHolder is what a lab host is to this package; lab's own type
// cannot be named here, as lab may use snapshots.
type netnsHolder interface{ Netns() int }

// withNs calls fn with an fd for the network namespace ns refers to.
func withNs(ns any, fn func(fd int) error) error {
	if h, ok := ns.(netnsHolder); ok {
		return nsops.WithFdOrPath(h.Netns(), unix.CLONE_NEWNET, fn)
	}
	v := reflect.ValueOf(ns)
	switch {
	case v.Kind() == reflect.String:
		return nsops.WithFdOrPath(v.String(), unix.CLONE_NEWNET, fn)
	case v.CanInt():
		return nsops.WithFdOrPath(int(v.Int()), unix.CLONE_NEWNET, fn)
	}
	return fmt.Errorf("cannot take snapshot of %v, reason: %T is not a namespace fd, a path or a value with a Netns() int method", ns, ns)
}

// sortItems orders items by section, then naturally by their text.
func sortItems(items []Item) {
	slices.SortStableFunc(items, compareItems)
}

// compareItems orders items by section, then naturally by their text,
// returning -1, 0 or +1.
func compareItems(a, b Item) int {
	if c := sectionIndex(a.Kind) - sectionIndex(b.Kind); c != 0 {
		return c
	}
	return diag.NaturalCompare(a.String(), b.String())
}
