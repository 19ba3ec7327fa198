package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// BootFailures lists the problems of a boot as a whole (not of one suite).
func (r *bootResult) BootFailures() []string {
	var out []string
	if r.Problem != "" {
		out = append(out, r.Problem)
	}
	for _, m := range r.ModprobeFailed {
		out = append(out, "cannot load module "+m+" in the guest")
	}
	if r.Problem == "" && !r.Done {
		out = append(out, "the guest stopped before its init script finished")
	}
	return out
}

// suiteLine is the one-line verdict for a suite on a kernel.
func suiteLine(kernel string, s *suiteResult) string {
	verdict := "PASS"
	if !s.OK() {
		verdict = "FAIL"
	}
	line := fmt.Sprintf("%s %s %s", verdict, kernel, s.Pkg)
	if s.HaveCounts || s.Ran > 0 {
		line += fmt.Sprintf(": ran %d of %d specs, %d passed, %d failed, %d pending, %d skipped",
			s.Ran, s.Total, s.Passed, s.Failed, s.Pending, s.Skipped)
	}
	if p := s.Problem(); p != "" {
		line += " (" + p + ")"
	}
	return line
}

// totals are the counts of the final line.
type totals struct{ Passed, Failed, Skipped int }

func (t totals) String() string {
	return fmt.Sprintf("%d passed, %d failed, %d skipped", t.Passed, t.Failed, t.Skipped)
}

// countBoot adds a boot's specs to t. Pending specs count as skipped: they
// did not run. Each boot problem counts as one failure so that a guest that
// never ran anything cannot end in "0 failed".
func (t *totals) countBoot(r *bootResult) {
	for _, s := range r.Suites {
		t.Passed += s.Passed
		t.Failed += s.FailedCount()
		t.Skipped += s.Skipped + s.Pending
	}
	t.Failed += len(r.BootFailures())
}

// writeReport prints the summary of all boots and returns the totals.
func writeReport(w io.Writer, boots []*bootResult) totals {
	var t totals
	var failures []string
	shownBuildErrors := map[string]bool{}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "==== scratchnet test-vm summary ====")
	for _, r := range boots {
		label := r.Kernel
		if r.KernelRelease != "" {
			label += " (" + r.KernelRelease + ")"
		}
		if r.Elapsed > 0 {
			fmt.Fprintf(w, "kernel %s: booted with %s, %s\n", label, r.Accel, r.Elapsed.Round(100*time.Millisecond))
		}
		for _, s := range r.Suites {
			line := suiteLine(r.Kernel, s)
			fmt.Fprintln(w, line)
			if !s.OK() {
				failures = append(failures, line)
				for _, f := range s.Failures {
					failures = append(failures, "    [FAIL] "+f)
				}
				if s.BuildError != "" && !shownBuildErrors[s.Pkg] {
					shownBuildErrors[s.Pkg] = true
					failures = append(failures, indent(s.BuildError, "    "))
				}
			}
		}
		for _, p := range r.BootFailures() {
			line := fmt.Sprintf("FAIL %s: %s", label, p)
			fmt.Fprintln(w, line)
			failures = append(failures, line)
		}
		t.countBoot(r)
	}
	if len(failures) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Failures:")
		for _, f := range failures {
			fmt.Fprintln(w, f)
		}
	}
	return t
}

func indent(text, prefix string) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}
