// Package gotool prepares the go command for the analyzer's tests, which run
// it (go/packages, go vet) also as a user without a writable home
// directory, such as nobody in the unprivileged CI runs.
package gotool

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// EnsureBuildCache leaves GOCACHE alone when the go command's build cache is
// writable, and otherwise points it at a new temporary directory, for this
// process and the commands it starts. The returned function removes that
// directory.
func EnsureBuildCache() (func(), error) {
	if out, err := exec.Command("go", "env", "GOCACHE").Output(); err == nil && writable(strings.TrimSpace(string(out))) {
		return func() {}, nil
	}
	dir, err := os.MkdirTemp("", "scratchnetvet-gocache-")
	if err != nil {
		return nil, fmt.Errorf("cannot create a temporary go build cache, reason: %w", err)
	}
	if err := os.Setenv("GOCACHE", dir); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("cannot set GOCACHE, reason: %w", err)
	}
	return func() { os.RemoveAll(dir) }, nil
}

// writable tells whether files can be created in dir, creating it if need
// be, as the go command does.
func writable(dir string) bool {
	if dir == "" || dir == "off" || os.MkdirAll(dir, 0o777) != nil {
		return false
	}
	f, err := os.CreateTemp(dir, "probe-")
	if err != nil {
		return false
	}
	f.Close()
	os.Remove(f.Name())
	return true
}

// Main is a TestMain for tests that run the go command: it ensures a
// writable build cache (see [EnsureBuildCache]), runs the tests and exits.
func Main(m *testing.M) {
	cleanup, err := EnsureBuildCache()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := m.Run()
	cleanup()
	os.Exit(code)
}
