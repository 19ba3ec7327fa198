package main_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestStandaloneAndVetTool builds the command and runs it both ways on the
// analyzer's testdata (a GOPATH tree), expecting the same report with its
// file:line.
func TestStandaloneAndVetTool(t *testing.T) {
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("cannot find the go command, reason: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "scratchnetvet")
	if out, err := exec.Command(gotool, "build", "-buildvcs=false", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("cannot build scratchnetvet, reason: %v\n%s", err, out)
	}
	gopath, err := filepath.Abs(filepath.Join("analyzer", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	const want = "enter.go:12:2: defer netns.EnterTransient() defers entering the namespace, not leaving it"
	for name, args := range map[string][]string{
		"standalone": {bin, "enter"},
		"vet tool":   {gotool, "vet", "-vettool=" + bin, "enter"},
	} {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir = filepath.Join(gopath, "src", "enter")
		cmd.Env = append(os.Environ(), "GOPATH="+gopath, "GO111MODULE=off", "GOWORK=off", "GOFLAGS=")
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
