package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// minNobodyShare is the least share, in percent, of the specs the root pass
// ran that the nobody pass must run too. Issue 7 sets it: running without
// privileges may cost a few specs (those reading the real host namespace,
// say), each skipping with its reason, but not a fifth of the suite.
const minNobodyShare = 80

// BootFailures lists the problems of a boot as a whole (not of one suite).
func (r *bootResult) BootFailures() []string {
	var out []string
	if r.Problem != "" {
		out = append(out, r.Problem)
	}
	out = append(out, r.Setup...)
	for _, m := range r.ModprobeFailed {
		out = append(out, "cannot load module "+m+" in the guest")
	}
	for _, m := range r.RmmodFailed {
		mod, pkg, _ := strings.Cut(m, " ")
		out = append(out, fmt.Sprintf("cannot remove module %s after package %s, reason: still in use after 5 s, so later suites would run with it", mod, pkg))
	}
	if r.Problem == "" && !r.Done {
		out = append(out, "the guest stopped before its init script finished")
	}
	for _, p := range r.Passes {
		if p.Ended && p.Exit != 0 {
			out = append(out, fmt.Sprintf("cannot run the %s pass on %s, reason: it exited with status %d", p.Name, r.Kernel, p.Exit))
		}
	}
	if p := r.findPass(passNobody.Name); p != nil && p.Identity != "" && p.Identity != nobodyIdentity {
		out = append(out, fmt.Sprintf("cannot accept unprivileged run on %s, reason: the nobody pass ran as uid:gid %s, not %s", r.Kernel, p.Identity, nobodyIdentity))
	}
	if why := r.nobodyShortfall(); why != "" {
		out = append(out, fmt.Sprintf("cannot accept unprivileged run on %s, reason: %s", r.Kernel, why))
	}
	return out
}

// ranInPass sums the specs the suites of one pass ran.
func (r *bootResult) ranInPass(pass string) int {
	n := 0
	for _, s := range r.PassSuites(pass) {
		n += s.Ran
	}
	return n
}

// comparable says whether both passes ran to their end, so that their spec
// counts can be compared; a guest that stopped early is a failure of its own.
func (r *bootResult) comparable() bool {
	if !r.Done || !slices.Contains(r.Expected, passRoot.Name) || !slices.Contains(r.Expected, passNobody.Name) {
		return false
	}
	return r.ranInPass(passRoot.Name) > 0
}

// nobodyShortfall explains why the nobody pass ran too few of the specs the
// root pass ran, or returns "".
func (r *bootResult) nobodyShortfall() string {
	if !r.comparable() {
		return ""
	}
	root, nobody := r.ranInPass(passRoot.Name), r.ranInPass(passNobody.Name)
	if nobody*100 >= root*minNobodyShare {
		return ""
	}
	return fmt.Sprintf("nobody ran %d of %d specs root ran (< %d%%)", nobody, root, minNobodyShare)
}

// suiteLine is the one-line verdict for a suite in one pass on a kernel.
func suiteLine(kernel string, s *suiteResult) string {
	verdict := "PASS"
	if !s.OK() {
		verdict = "FAIL"
	}
	line := fmt.Sprintf("%s %s %s %s", verdict, kernel, s.Pass, s.Pkg)
	if s.HaveCounts || s.Ran > 0 {
		line += fmt.Sprintf(": ran %d of %d specs, %d passed, %d failed, %d pending, %d skipped",
			s.Ran, s.Total, s.Passed, s.Failed, s.Pending, s.Skipped)
	}
	if s.Unsandboxed != "" {
		line += " [unsandboxed: " + s.Unsandboxed + "]"
	}
	if p := s.Problem(); p != "" {
		line += " (" + p + ")"
	}
	return line
}

// totals are the counts of the final line.
type totals struct{ Passed, Failed, Skipped int }

// passLine sums one pass on one kernel: specs run, their outcome, guest time.
func passLine(r *bootResult, pass string) string {
	var ran, passed, failed, skipped, suites, ok int
	for _, s := range r.PassSuites(pass) {
		suites++
		if s.OK() {
			ok++
		}
		ran += s.Ran
		passed += s.Passed
		failed += s.FailedCount()
		skipped += s.Skipped + s.Pending
	}
	line := fmt.Sprintf("pass %s on %s: %d of %d suites passed, ran %d specs, %d passed, %d failed, %d skipped",
		pass, r.Kernel, ok, suites, ran, passed, failed, skipped)
	if p := r.findPass(pass); p != nil && p.Elapsed() > 0 {
		line += fmt.Sprintf(", %s in the guest", p.Elapsed().Round(100*time.Millisecond))
	}
	return line
}

// shareLine compares the passes' spec counts on one kernel.
func shareLine(r *bootResult) string {
	root, nobody := r.ranInPass(passRoot.Name), r.ranInPass(passNobody.Name)
	verdict := "ok"
	if r.nobodyShortfall() != "" {
		verdict = fmt.Sprintf("below the %d%% required", minNobodyShare)
	}
	return fmt.Sprintf("unprivileged share on %s: nobody ran %d of %d specs root ran (%d%%, %s)",
		r.Kernel, nobody, root, nobody*100/root, verdict)
}

// skipLines groups the nobody pass's skips by package and reason, so that a
// reader sees at a glance what running without privileges costs.
func skipLines(r *bootResult) []string {
	type key struct{ pkg, reason string }
	var order []key
	count := map[key]int{}
	for _, s := range r.PassSuites(passNobody.Name) {
		for _, k := range s.Skips {
			reason := k.Reason
			if reason == "" {
				reason = "(no reason given: " + k.Spec + ")"
			}
			kk := key{s.Pkg, reason}
			if count[kk] == 0 {
				order = append(order, kk)
			}
			count[kk]++
		}
	}
	var out []string
	for _, k := range order {
		out = append(out, fmt.Sprintf("    %s: %d skipped: %s", k.pkg, count[k], k.reason))
	}
	return out
}

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
				for _, k := range s.Skips {
					if strings.TrimSpace(k.Reason) == "" {
						failures = append(failures, "    [SKIPPED without a reason] "+k.Spec)
					}
				}
				if s.BuildError != "" && !shownBuildErrors[s.Pkg] {
					shownBuildErrors[s.Pkg] = true
					failures = append(failures, indent(s.BuildError, "    "))
				}
			}
		}
		for _, pass := range r.Expected {
			fmt.Fprintln(w, passLine(r, pass))
		}
		if len(r.Autoloads) > 0 {
			// Not a failure: the library may ask for a family it then
			// does without. A suite that needs the module fails by itself,
			// and this line says which module to add to packageModules.
			fmt.Fprintf(w, "kernel %s refused to auto-load: %s\n", r.Kernel, strings.Join(r.Autoloads, " "))
		}
		if r.comparable() {
			fmt.Fprintln(w, shareLine(r))
		}
		if skips := skipLines(r); len(skips) > 0 {
			fmt.Fprintf(w, "skipped as nobody on %s, by package and reason:\n", r.Kernel)
			for _, l := range skips {
				fmt.Fprintln(w, l)
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
