package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
)

// goCommand is the go tool to use; make passes its $(GO) through.
func goCommand() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	return "go"
}

// module is the main module the runner works on.
type module struct {
	Path string
	Dir  string
}

func findModule() (module, error) {
	out, err := exec.Command(goCommand(), "list", "-m", "-f", "{{.Path}}\t{{.Dir}}").Output()
	if err != nil {
		return module{}, fmt.Errorf("cannot find the main module for test-vm, reason: go list -m: %w", err)
	}
	p, d, ok := strings.Cut(strings.TrimSpace(string(out)), "\t")
	if !ok || d == "" {
		return module{}, fmt.Errorf("cannot find the main module for test-vm, reason: unexpected go list output %q", out)
	}
	return module{Path: p, Dir: d}, nil
}

// listedPackage is the part of "go list -json" output the runner reads.
type listedPackage struct {
	ImportPath   string
	Dir          string
	TestGoFiles  []string
	XTestGoFiles []string
}

// testPackages parses "go list -e -json" output into the packages that
// have tests, minus the runner itself (its suite needs no VM and its binary
// would only run its own unit tests) and the commands under cmd/: the
// analyzer's tests type-check Go source with a Go toolchain, which the guest
// lacks, and touch no kernel.
func testPackages(listJSON io.Reader, mod module) ([]testBinary, error) {
	self := mod.Path + "/test/vm"
	commands := mod.Path + "/cmd/"
	dec := json.NewDecoder(listJSON)
	var out []testBinary
	for {
		var p listedPackage
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read go list output, reason: %w", err)
		}
		if p.ImportPath == self || strings.HasPrefix(p.ImportPath, commands) || len(p.TestGoFiles)+len(p.XTestGoFiles) == 0 {
			continue
		}
		rel, err := filepath.Rel(mod.Dir, p.Dir)
		if err != nil || strings.HasPrefix(rel, "..") {
			rel = strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, mod.Path), "/")
		}
		if rel == "" {
			rel = "."
		}
		name := path.Base(p.ImportPath) + ".test"
		t := testBinary{Pkg: p.ImportPath, RelDir: filepath.ToSlash(rel), Name: name}
		if st, err := os.Stat(filepath.Join(p.Dir, "testdata")); err == nil && st.IsDir() {
			t.Testdata = filepath.Join(p.Dir, "testdata")
		}
		out = append(out, t)
	}
	return out, nil
}

// listTestPackages runs go list with -e, so that a package that does not
// compile yet is still listed and then reported as a build failure.
func listTestPackages(mod module, patterns []string) ([]testBinary, error) {
	args := append([]string{"list", "-e", "-json=ImportPath,Dir,TestGoFiles,XTestGoFiles"}, patterns...)
	cmd := exec.Command(goCommand(), args...)
	cmd.Dir = mod.Dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("cannot list packages %s, reason: %w: %s", strings.Join(patterns, " "), err, stderr.String())
	}
	return testPackages(strings.NewReader(string(out)), mod)
}

// buildResult is a test binary or the reason it could not be built.
type buildResult struct {
	Test  testBinary
	Error string
}

// buildTests builds a static test binary per package into outDir, two at a
// time (the CI machines have two cores; the linker dominates). Static
// binaries are needed because the guest has no libc.
func buildTests(mod module, tests []testBinary, outDir string) []buildResult {
	results := make([]buildResult, len(tests))
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i, t := range tests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			bin := filepath.Join(outDir, filepath.FromSlash(t.RelDir), t.Name)
			t.HostPath = bin
			results[i] = buildResult{Test: t}
			if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
				results[i].Error = fmt.Sprintf("cannot create the output directory for %s, reason: %v", t.Pkg, err)
				return
			}
			cmd := exec.Command(goCommand(), "test", "-c", "-ldflags=-s -w", "-o", bin, t.Pkg)
			cmd.Dir = mod.Dir
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				results[i].Error = fmt.Sprintf("cannot build the test binary for %s, reason: %v\n%s", t.Pkg, err, out)
			}
		}()
	}
	wg.Wait()
	return results
}
