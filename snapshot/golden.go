package snapshot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/onsi/gomega/types"
)

// UpdateGoldenEnv names the environment variable that, set to 1, has
// [MatchGolden] write what it is given to the golden file instead of
// comparing, and succeed: run the tests once with it to accept a new
// state, then review the files' diff in version control.
const UpdateGoldenEnv = "SCRATCHNET_UPDATE_GOLDEN"

// MatchGolden succeeds when the text of a [*Snapshot] or a [Diff] (or of a
// snapshot it takes of the namespace that actual refers to, with default
// options) is the content of the golden file at path, such as
// "testdata/after-add.golden", relative to the package's directory as go
// test runs it. With SCRATCHNET_UPDATE_GOLDEN=1 ([UpdateGoldenEnv]) it
// writes the file, making its directory, and succeeds. Its failure message
// says which lines the golden file has that the actual text lacks ("- ")
// and which the actual text adds ("+ ").
//
// A golden file holds on every kernel only what every kernel makes alike:
// the kernel's own routes and rules are left out of snapshots already,
// but sysctl defaults differ between kernels and hosts (and a namespace
// inherits some from the host's), and a link's default MTU or the
// interfaces a kernel creates in each namespace may too. Keep such
// sections out of a golden snapshot (with [Without] or [Only]), or compare
// a diff, which holds only what the test changed.
func MatchGolden(path string) types.GomegaMatcher {
	return &goldenMatcher{path: path}
}

type goldenMatcher struct {
	path          string
	want, got     string
	wrote, absent bool
}

func (m *goldenMatcher) Match(actual any) (bool, error) {
	switch a := actual.(type) {
	case Diff:
		m.got = a.String()
	default:
		cfg, err := configure(nil)
		if err != nil {
			return false, err
		}
		s, err := snapshotOf(actual, cfg)
		if err != nil {
			return false, err
		}
		m.got = s.String()
	}
	if os.Getenv(UpdateGoldenEnv) == "1" {
		if err := os.MkdirAll(filepath.Dir(m.path), 0o755); err != nil {
			return false, fmt.Errorf("cannot write golden file %s, reason: %w", m.path, err)
		}
		if err := os.WriteFile(m.path, []byte(m.got), 0o644); err != nil {
			return false, fmt.Errorf("cannot write golden file %s, reason: %w", m.path, err)
		}
		m.wrote = true
		return true, nil
	}
	b, err := os.ReadFile(m.path)
	if errors.Is(err, fs.ErrNotExist) {
		m.absent = true
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("cannot read golden file %s, reason: %w", m.path, err)
	}
	m.want = string(b)
	return m.want == m.got, nil
}

func (m *goldenMatcher) FailureMessage(any) string {
	if m.absent {
		return fmt.Sprintf("golden file %s does not exist; run with %s=1 to write it with:\n%s",
			m.path, UpdateGoldenEnv, indent(orNothing(m.got)))
	}
	wantLines := strings.Split(strings.TrimSuffix(m.want, "\n"), "\n")
	gotLines := strings.Split(strings.TrimSuffix(m.got, "\n"), "\n")
	missing, unexpected := setDiff(wantLines, gotLines)
	var b strings.Builder
	fmt.Fprintf(&b, "expected the text of golden file %s, but it differs (run with %s=1 to accept it):\n", m.path, UpdateGoldenEnv)
	for _, l := range missing {
		b.WriteString("    - " + l + "\n")
	}
	for _, l := range unexpected {
		b.WriteString("    + " + l + "\n")
	}
	if len(missing) == 0 && len(unexpected) == 0 {
		b.WriteString("    (the same lines in another order or number)\n")
	}
	return b.String()
}

func (m *goldenMatcher) NegatedFailureMessage(any) string {
	return fmt.Sprintf("expected a text other than that of golden file %s", m.path)
}
