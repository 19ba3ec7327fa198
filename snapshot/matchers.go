package snapshot

import (
	"fmt"
	"slices"
	"strings"

	"github.com/onsi/gomega/types"
)

// snapshotOf returns actual when it is a snapshot, and otherwise takes
// one of the namespace it refers to with cfg's options.
func snapshotOf(actual any, cfg config) (*Snapshot, error) {
	switch a := actual.(type) {
	case *Snapshot:
		return a, nil
	case Snapshot:
		return &a, nil
	}
	opts := []Option{func(c *config) error { *c = cfg; return nil }}
	return Collect(actual, opts...)
}

// BeUnchangedSince succeeds when the namespace (an fd, a path, a value
// with a Netns() int method, or a snapshot of it) holds what before held,
// read with before's options. Its failure message is the diff.
//
//	before := snapshot.Take(ns)
//	...
//	Expect(ns).To(snapshot.BeUnchangedSince(before))
func BeUnchangedSince(before *Snapshot) types.GomegaMatcher {
	return &diffMatcher{before: before}
}

// HaveChangedSince succeeds when the namespace (an fd, a path, a value
// with a Netns() int method, or a snapshot of it) differs from before in
// exactly the changes listed, each a line of the [Diff] such as
// "+ address 10.0.0.1/24 dev eth0", in any order. Its failure message
// says which changes are missing and which are unexpected, then the diff.
func HaveChangedSince(before *Snapshot, changes ...string) types.GomegaMatcher {
	return &diffMatcher{before: before, want: changes}
}

type diffMatcher struct {
	before *Snapshot
	want   []string
	diff   Diff
}

func (m *diffMatcher) Match(actual any) (bool, error) {
	if m.before == nil {
		return false, fmt.Errorf("cannot compare with snapshot, reason: the snapshot to compare with is nil")
	}
	now, err := snapshotOf(actual, m.before.cfg)
	if err != nil {
		return false, err
	}
	m.diff = Compare(m.before, now)
	missing, unexpected := setDiff(m.want, m.diff.Lines())
	return len(missing) == 0 && len(unexpected) == 0, nil
}

func (m *diffMatcher) FailureMessage(any) string {
	if len(m.want) == 0 {
		return "expected the network namespace unchanged since the snapshot, but it changed:\n" + indent(m.diff.String())
	}
	missing, unexpected := setDiff(m.want, m.diff.Lines())
	var b strings.Builder
	b.WriteString("expected the network namespace changed in just the listed ways since the snapshot, but\n")
	if len(missing) > 0 {
		b.WriteString("these changes are missing:\n" + indent(strings.Join(missing, "\n")+"\n"))
	}
	if len(unexpected) > 0 {
		b.WriteString("these changes are not listed:\n" + indent(strings.Join(unexpected, "\n")+"\n"))
	}
	b.WriteString("the whole diff:\n" + indent(orNothing(m.diff.String())))
	return b.String()
}

func (m *diffMatcher) NegatedFailureMessage(any) string {
	if len(m.want) == 0 {
		return "expected the network namespace changed since the snapshot, but it is as it was"
	}
	return "expected the network namespace not changed in just the listed ways, but its diff is:\n" + indent(orNothing(m.diff.String()))
}

// ContainItems succeeds when the snapshot (or one taken of the namespace
// that actual refers to, with default options) has each line listed as
// one of its lines, such as "link br0 bridge state up mtu 1500". Its
// failure message lists the lines missing, then the snapshot.
func ContainItems(lines ...string) types.GomegaMatcher {
	return &containMatcher{want: lines}
}

type containMatcher struct {
	want []string
	snap *Snapshot
}

func (m *containMatcher) Match(actual any) (bool, error) {
	cfg, err := configure(nil)
	if err != nil {
		return false, err
	}
	if m.snap, err = snapshotOf(actual, cfg); err != nil {
		return false, err
	}
	missing, _ := setDiff(m.want, m.snap.Lines())
	return len(missing) == 0, nil
}

func (m *containMatcher) FailureMessage(any) string {
	missing, _ := setDiff(m.want, m.snap.Lines())
	return "expected the snapshot to contain:\n" + indent(strings.Join(missing, "\n")+"\n") +
		"but it holds:\n" + indent(orNothing(m.snap.String()))
}

func (m *containMatcher) NegatedFailureMessage(any) string {
	return "expected the snapshot not to contain all of:\n" + indent(strings.Join(m.want, "\n")+"\n") +
		"but it holds:\n" + indent(orNothing(m.snap.String()))
}

// setDiff returns the lines of want that got lacks and those of got that
// want lacks, each in its list's order.
func setDiff(want, got []string) (missing, unexpected []string) {
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			unexpected = append(unexpected, g)
		}
	}
	return missing, unexpected
}

// indent indents each line of text by four spaces.
func indent(text string) string {
	lines := strings.SplitAfter(text, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = "    " + l
		}
	}
	return strings.Join(lines, "")
}

func orNothing(text string) string {
	if text == "" {
		return "(nothing)\n"
	}
	return text
}
