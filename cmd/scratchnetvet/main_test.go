package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scratchnet/scratchnet/cmd/scratchnetvet/internal/gotool"
)

// asToolEnv makes the test binary be scratchnetvet itself, so that the test
// needs no build of the command: for go vet -vettool and for a standalone run.
const asToolEnv = "SCRATCHNETVET_TEST_AS_TOOL"

func TestMain(m *testing.M) {
	if os.Getenv(asToolEnv) == "1" {
		main()
		os.Exit(0)
	}
	gotool.Main(m)
}

// gopathTree writes a GOPATH tree with a package "enter" that defers
// netns.EnterTransient() without calling its result, and returns its root.
func gopathTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"src/github.com/scratchnet/scratchnet/netns/netns.go": "package netns\n\nfunc EnterTransient() func() { return func() {} }\n",
		"src/enter/enter.go": "package enter\n\nimport \"github.com/scratchnet/scratchnet/netns\"\n\nfunc f() {\n\tdefer netns.EnterTransient()\n}\n",
	}
	for name, content := range files {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// TestStandaloneAndVetTool runs the command both ways, expecting the same
// report with its file:line.
func TestStandaloneAndVetTool(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatalf("cannot find the test binary, reason: %v", err)
	}
	gopath := gopathTree(t)
	const want = "enter.go:6:2: defer netns.EnterTransient() defers entering the namespace, not leaving it"
	for name, args := range map[string][]string{
		"standalone": {self, "enter"},
		"vet tool":   {"go", "vet", "-vettool=" + self, "enter"},
	} {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir = filepath.Join(gopath, "src", "enter")
		cmd.Env = append(os.Environ(), asToolEnv+"=1", "GOPATH="+gopath, "GO111MODULE=off", "GOWORK=off", "GOFLAGS=")
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Errorf("%s: want a failing exit status for the reports, got %v\n%s", name, err, out)
		}
		if !strings.Contains(string(out), want) {
			t.Errorf("%s: want a report containing %q, got:\n%s", name, want, out)
		}
	}
}
