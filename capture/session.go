package capture

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/diag"
	"github.com/scratchnet/scratchnet/internal/scope"
)

// EnvDir names the environment variable that, when set, names a directory
// to which the captures of a failing test are moved (for CI artifacts),
// each test's files in a subdirectory of their own.
const EnvDir = "SCRATCHNET_CAPTURE_DIR"

// session is the captures of one cleanup scope and their directory.
type session struct {
	t   testing.TB
	sc  *scope.Scope
	dir string

	mu       sync.Mutex
	made     bool // whether dir exists
	captures []*Capture
	names    map[string]bool
	files    []extraFile
}

type extraFile struct {
	name    string
	content func() []byte
}

var (
	sessionsMu sync.Mutex
	sessions   = map[*scope.Scope]*session{}
)

// sessionOf returns the session of scope sc, making it on first use; its
// cleanup stops the session's captures.
func sessionOf(t testing.TB, sc *scope.Scope) *session {
	sessionsMu.Lock()
	defer sessionsMu.Unlock()
	if s, ok := sessions[sc]; ok {
		return s
	}
	// The directory is made with the first file that needs it (see
	// lazyFile); its random name is chosen now, so that File can say where
	// the captures will be.
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("scratchnet-capture-%s-%016x", fileSafe(t.Name(), 48), rand.Uint64()))
	s := &session{t: t, sc: sc, dir: dir, names: map[string]bool{}}
	sessions[sc] = s
	sc.Cleanup(t, s.end)
	return s
}

// makeDir makes the session's directory unless it exists; only the user
// may enter it, as with os.MkdirTemp.
func (s *session) makeDir() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.made {
		return nil
	}
	if err := os.Mkdir(s.dir, 0o700); err != nil {
		return err
	}
	s.made = true
	return nil
}

// fileSafe turns s into a file name of at most n bytes.
func fileSafe(s string, n int) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		ok := r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !ok {
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = true
			continue
		}
		dash = false
		b.WriteRune(r)
	}
	out := strings.Trim(b.String(), "-.")
	if len(out) > n {
		out = strings.TrimRight(out[:n], "-.")
	}
	if out == "" {
		return "test"
	}
	return out
}

func (s *session) add(c *Capture) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.captures = append(s.captures, c)
}

// newFile reserves a file name in the session's directory after base and
// returns its path.
func (s *session) newFile(base string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return filepath.Join(s.dir, s.reserve(base))
}

func (s *session) reserve(base string) string {
	ext := filepath.Ext(base)
	stem := fileSafe(strings.TrimSuffix(base, ext), 80)
	name := stem + ext
	for n := 1; s.names[name]; n++ {
		name = fmt.Sprintf("%s-%d%s", stem, n, ext)
	}
	s.names[name] = true
	return name
}

// finalPath returns where a file of the session ends up if the test fails.
func (s *session) finalPath(path string) string {
	if env := os.Getenv(EnvDir); env != "" {
		return filepath.Join(env, filepath.Base(s.dir), filepath.Base(path))
	}
	return path
}

// end keeps the session's files when the test failed, and removes them
// otherwise.
func (s *session) end() {
	sessionsMu.Lock()
	delete(sessions, s.sc)
	sessionsMu.Unlock()
	s.mu.Lock()
	captures, files := s.captures, s.files
	s.mu.Unlock()
	failed := s.t.Failed()
	var wg sync.WaitGroup
	for _, c := range captures {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.end(failed)
		}()
	}
	wg.Wait()
	s.mu.Lock()
	made := s.made
	s.mu.Unlock()
	if !failed {
		if !made {
			return
		}
		if err := os.RemoveAll(s.dir); err != nil {
			s.t.Errorf("cannot remove capture directory %s, reason: %v", s.dir, err)
		}
		return
	}
	if err := s.makeDir(); err != nil {
		s.t.Errorf("cannot make capture directory %s, reason: %v", s.dir, err)
		return
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(s.dir, f.name), f.content(), 0o644); err != nil {
			s.t.Errorf("cannot write %s next to the captures, reason: %v", f.name, err)
		}
	}
	dest := s.dir
	if env := os.Getenv(EnvDir); env != "" {
		dest = filepath.Join(env, filepath.Base(s.dir))
		if err := moveDir(s.dir, dest); err != nil {
			s.t.Errorf("cannot move captures from %s to %s (%s), reason: %v", s.dir, dest, EnvDir, err)
			dest = s.dir
		}
	}
	entries, _ := os.ReadDir(dest)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.SortFunc(names, diag.NaturalCompare)
	s.t.Logf("scratchnet kept the captures of the failed test in %s: %s", dest, strings.Join(names, ", "))
}

// moveDir moves the directory from to the new path to, copying when they
// are on different file systems.
func moveDir(from, to string) error {
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	err := os.Rename(from, to)
	if !errors.Is(err, unix.EXDEV) {
		return err
	}
	if err := os.Mkdir(to, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := copyFile(filepath.Join(from, e.Name()), filepath.Join(to, e.Name())); err != nil {
			return err
		}
	}
	return os.RemoveAll(from)
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// AddFile has a file of that name written next to the current node's
// captures if they are kept, with the content that content returns then;
// it is never written for a passing test. A lab uses it for its Mermaid
// diagram.
func AddFile(name string, content func() []byte) {
	GinkgoHelper()
	AddFileT(GinkgoTB(), name, content)
}

// AddFileT is [AddFile] for plain testing users.
func AddFileT(t testing.TB, name string, content func() []byte) {
	t.Helper()
	if content == nil || name == "" || filepath.Base(name) != name {
		t.Fatalf("cannot add file %q next to the captures, reason: need a plain file name and a content function", name)
	}
	s := sessionOf(t, scope.Of(t))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files = append(s.files, extraFile{name: s.reserve(name), content: content})
}

// capturesOf returns the captures of the namespace with inode ino, ordered
// by name and interface, with each one's test.
func capturesOf(ino uint64) []*Capture {
	sessionsMu.Lock()
	all := make([]*session, 0, len(sessions))
	for _, s := range sessions {
		all = append(all, s)
	}
	sessionsMu.Unlock()
	var out []*Capture
	for _, s := range all {
		s.mu.Lock()
		for _, c := range s.captures {
			if c.ino == ino {
				out = append(out, c)
			}
		}
		s.mu.Unlock()
	}
	slices.SortFunc(out, func(a, b *Capture) int { return diag.NaturalCompare(a.path, b.path) })
	return out
}
