package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// suiteResult is what one test binary reported in one guest.
type suiteResult struct {
	Pkg        string
	BuildError string // set when the binary could not be built; it never ran
	Began      bool
	Ended      bool
	Exit       int
	HaveCounts bool // Ginkgo printed its "N Passed | N Failed ..." line
	Ran        int
	Total      int
	Passed     int
	Failed     int
	Pending    int
	Skipped    int
	Failures   []string // spec names from Ginkgo's "Summarizing N Failures"

	inSummary bool
}

// OK reports whether the suite counts as a success: it ended, exited 0,
// reported its counts, ran at least one spec and had no failures. A suite
// that ran nothing proves nothing about the kernel, so it fails.
func (s *suiteResult) OK() bool {
	return s.BuildError == "" && s.Ended && s.Exit == 0 && s.HaveCounts && s.Ran > 0 && s.Failed == 0
}

// Problem explains in a few words why a suite did not pass.
func (s *suiteResult) Problem() string {
	switch {
	case s.BuildError != "":
		return "test binary did not build"
	case !s.Began:
		return "never started (the guest stopped before it)"
	case !s.Ended:
		return "no end marker (the guest crashed, hung or timed out)"
	case s.Failed > 0 || len(s.Failures) > 0:
		return fmt.Sprintf("%d failure(s)", max(s.Failed, len(s.Failures)))
	case s.Exit != 0:
		return fmt.Sprintf("test binary exited with status %d", s.Exit)
	case !s.HaveCounts:
		return "no Ginkgo summary in its output"
	case s.Ran == 0:
		return "ran zero specs"
	}
	return ""
}

// FailedCount is what the suite adds to the run's "N failed": its failed
// specs, or one when it failed without naming a spec count (crash, build
// error, zero specs), so that a broken suite can never read as "0 failed".
func (s *suiteResult) FailedCount() int {
	n := max(s.Failed, len(s.Failures))
	if n == 0 && !s.OK() {
		n = 1
	}
	return n
}

// bootResult is what one guest boot reported.
type bootResult struct {
	Kernel         string // label of the kernel in the matrix
	KernelRelease  string // uname -r inside the guest
	Suites         []*suiteResult
	Done           bool     // init reached the end of its script
	ModprobeFailed []string // modules init could not load
	Eth0           string   // eth0's operational state after setup
	Problem        string   // boot problem found by the host (timeout, qemu error)
	Accel          string   // kvm or tcg
	Elapsed        time.Duration

	current *suiteResult
}

var (
	reRan       = regexp.MustCompile(`^Ran (\d+) of (\d+) Specs? in `)
	reCounts    = regexp.MustCompile(`(\d+) Passed \| (\d+) Failed \| (\d+) Pending \| (\d+) Skipped`)
	reSummarize = regexp.MustCompile(`^Summarizing \d+ Failures?:`)
	reFailName  = regexp.MustCompile(`^\s+\[(FAIL|PANICKED!?|TIMEDOUT|INTERRUPTED|ABORTED)\] (.*)$`)
	reEnd       = regexp.MustCompile(`end (\S+) exit=(\d+)`)
)

// suite returns the result for pkg, creating it in the order seen.
func (r *bootResult) suite(pkg string) *suiteResult {
	for _, s := range r.Suites {
		if s.Pkg == pkg {
			return s
		}
	}
	s := &suiteResult{Pkg: pkg}
	r.Suites = append(r.Suites, s)
	return s
}

// Line feeds one line of guest console output to the parser.
func (r *bootResult) Line(line string) {
	line = strings.TrimRight(line, "\r\n")
	if i := strings.Index(line, markerPrefix+" "); i >= 0 {
		r.marker(strings.TrimSpace(line[i+len(markerPrefix)+1:]))
		return
	}
	s := r.current
	if s == nil {
		return
	}
	trimmed := strings.TrimSpace(line)
	switch {
	case reSummarize.MatchString(trimmed):
		s.inSummary = true
	case s.inSummary && reFailName.MatchString(line):
		m := reFailName.FindStringSubmatch(line)
		s.Failures = append(s.Failures, strings.TrimSpace(m[2]))
	case reRan.MatchString(trimmed):
		m := reRan.FindStringSubmatch(trimmed)
		// A binary may run more than one suite; their specs add up.
		s.Ran += atoi(m[1])
		s.Total += atoi(m[2])
		s.inSummary = false
	case reCounts.MatchString(trimmed):
		m := reCounts.FindStringSubmatch(trimmed)
		s.HaveCounts = true
		s.Passed += atoi(m[1])
		s.Failed += atoi(m[2])
		s.Pending += atoi(m[3])
		s.Skipped += atoi(m[4])
	case strings.Contains(trimmed, "A BeforeSuite node failed"),
		strings.Contains(trimmed, "A SynchronizedBeforeSuite node failed"):
		// Ginkgo prints no counts then; the suite ran nothing.
		s.HaveCounts = true
	}
}

func (r *bootResult) marker(m string) {
	word, rest, _ := strings.Cut(m, " ")
	switch word {
	case "kernel":
		r.KernelRelease = rest
	case "modprobe-failed":
		r.ModprobeFailed = append(r.ModprobeFailed, rest)
	case "eth0":
		r.Eth0 = rest
	case "begin":
		s := r.suite(rest)
		s.Began = true
		r.current = s
	case "end":
		if sm := reEnd.FindStringSubmatch(m); sm != nil {
			s := r.suite(sm[1])
			s.Ended = true
			s.Exit = atoi(sm[2])
		}
		r.current = nil
	case "done":
		r.Done = true
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
