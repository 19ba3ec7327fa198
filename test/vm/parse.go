package main

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// suiteResult is what one test binary reported in one pass of one guest.
type suiteResult struct {
	Pass       string // the guest pass, "root" or "nobody"
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
	Failures   []string      // spec names from Ginkgo's "Summarizing N Failures"
	Skips      []skippedSpec // specs skipped by a Skip call, from the JUnit report
	// Unsandboxed is the sandbox's reason for running the tests without
	// it, when it said so; the suite's privileged specs then skip.
	Unsandboxed string

	inSummary bool
}

// skippedSpec is a spec that started and then skipped itself.
type skippedSpec struct {
	Spec   string
	Reason string // empty when the Skip call gave none
}

// Unexplained counts the skips that gave no reason.
func (s *suiteResult) Unexplained() int {
	n := 0
	for _, k := range s.Skips {
		if strings.TrimSpace(k.Reason) == "" {
			n++
		}
	}
	return n
}

// OK reports whether the suite counts as a success: it ended, exited 0,
// reported its counts, ran at least one spec and had no failures. A suite
// that ran nothing proves nothing about the kernel, so it fails.
func (s *suiteResult) OK() bool {
	return s.BuildError == "" && s.Ended && s.Exit == 0 && s.HaveCounts && s.Ran > 0 && s.Failed == 0 && s.Unexplained() == 0
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
	case s.Unexplained() > 0:
		return fmt.Sprintf("%d spec(s) skipped without a stated reason", s.Unexplained())
	}
	return ""
}

// FailedCount is what the suite adds to the run's "N failed": its failed
// specs, or one when it failed without naming a spec count (crash, build
// error, zero specs), so that a broken suite can never read as "0 failed".
// A spec that skipped without saying why counts as failed too.
func (s *suiteResult) FailedCount() int {
	n := max(s.Failed, len(s.Failures)) + s.Unexplained()
	if n == 0 && !s.OK() {
		n = 1
	}
	return n
}

// passResult is what the guest's init said about one pass as a whole.
type passResult struct {
	Name         string
	Began, Ended bool
	Identity     string  // "uid:gid" the run-pass script ran as
	Exit         int     // of the run-pass script, or of su for the nobody pass
	Start, End   float64 // guest uptime in seconds
}

// Elapsed is the pass's duration in guest time.
func (p *passResult) Elapsed() time.Duration {
	if !p.Began || !p.Ended {
		return 0
	}
	return time.Duration((p.End - p.Start) * float64(time.Second))
}

// bootResult is what one guest boot reported.
type bootResult struct {
	Kernel         string         // label of the kernel in the matrix
	KernelRelease  string         // uname -r inside the guest
	Expected       []string       // the passes init was told to run, in order
	Passes         []*passResult  // in the order init runs them
	Suites         []*suiteResult // pass by pass, packages in order
	Done           bool           // init reached the end of its script
	ModprobeFailed []string       // modules init could not load
	RmmodFailed    []string       // "<module> <package>": modules init could not remove after a package
	Autoloads      []string       // modules the kernel wanted to load by itself and was refused
	Eth0           string         // eth0's operational state after setup
	Problem        string         // boot problem found by the host (timeout, qemu error)
	Setup          []string       // what the host could not prepare for a guest that still booted
	Accel          string         // kvm or tcg
	Elapsed        time.Duration

	// OnSuiteEnd and OnPassEnd, when set, see each suite and pass as its
	// end marker arrives, for the verdict lines streamed during the boot.
	OnSuiteEnd func(*suiteResult)
	OnPassEnd  func(*passResult)

	current *suiteResult
}

var (
	reRan       = regexp.MustCompile(`^Ran (\d+) of (\d+) Specs? in `)
	reCounts    = regexp.MustCompile(`(\d+) Passed \| (\d+) Failed \| (\d+) Pending \| (\d+) Skipped`)
	reSummarize = regexp.MustCompile(`^Summarizing \d+ Failures?:`)
	reFailName  = regexp.MustCompile(`^\s+\[(FAIL|PANICKED!?|TIMEDOUT|INTERRUPTED|ABORTED)\] (.*)$`)
	reEnd       = regexp.MustCompile(`^end (\S+) (\S+) exit=(\d+)`)
	rePassEnd   = regexp.MustCompile(`^pass-end (\S+) (\S*) ?exit=(\d+)`)
)

// sandboxFallback starts the line package sandbox prints when it cannot
// create its namespaces and runs the tests without them.
const sandboxFallback = "scratchnet sandbox: running unsandboxed, reason: "

// suite returns the result for pkg in pass, creating it in the order seen.
func (r *bootResult) suite(pass, pkg string) *suiteResult {
	for _, s := range r.Suites {
		if s.Pass == pass && s.Pkg == pkg {
			return s
		}
	}
	s := &suiteResult{Pass: pass, Pkg: pkg}
	r.Suites = append(r.Suites, s)
	return s
}

// pass returns the result for the named pass, creating it in the order seen.
func (r *bootResult) pass(name string) *passResult {
	if p := r.findPass(name); p != nil {
		return p
	}
	p := &passResult{Name: name}
	r.Passes = append(r.Passes, p)
	return p
}

// findPass returns the named pass, or nil if init never mentioned it.
func (r *bootResult) findPass(name string) *passResult {
	for _, p := range r.Passes {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// PassSuites returns the suites of one pass.
func (r *bootResult) PassSuites(pass string) []*suiteResult {
	var out []*suiteResult
	for _, s := range r.Suites {
		if s.Pass == pass {
			out = append(out, s)
		}
	}
	return out
}

// Line feeds one line of guest console output to the parser.
// beforeInit reports whether the guest said nothing yet of its init
// script: no marker of a kernel release, a pass or the script's end.
func (r *bootResult) beforeInit() bool {
	return r.KernelRelease == "" && len(r.Passes) == 0 && !r.Done
}

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
	case strings.HasPrefix(trimmed, sandboxFallback):
		s.Unsandboxed = strings.TrimPrefix(trimmed, sandboxFallback)
	case strings.Contains(trimmed, "A BeforeSuite node failed"),
		strings.Contains(trimmed, "A SynchronizedBeforeSuite node failed"):
		// Ginkgo prints no counts then; the suite ran nothing.
		s.HaveCounts = true
	}
}

func (r *bootResult) marker(m string) {
	word, rest, _ := strings.Cut(m, " ")
	pass, pkg, _ := strings.Cut(rest, " ")
	switch word {
	case "kernel":
		r.KernelRelease = rest
	case "modprobe-failed":
		r.ModprobeFailed = append(r.ModprobeFailed, rest)
	case "rmmod-failed":
		r.RmmodFailed = append(r.RmmodFailed, rest)
	case "autoload-refused":
		if !slices.Contains(r.Autoloads, rest) {
			r.Autoloads = append(r.Autoloads, rest)
		}
	case "eth0":
		r.Eth0 = rest
	case "pass-begin":
		p := r.pass(pass)
		p.Began = true
		p.Start = atof(pkg)
	case "pass-end":
		if sm := rePassEnd.FindStringSubmatch(m); sm != nil {
			p := r.pass(sm[1])
			p.Ended = true
			p.End = atof(sm[2])
			p.Exit = atoi(sm[3])
			if r.OnPassEnd != nil {
				r.OnPassEnd(p)
			}
		}
		r.current = nil
	case "identity":
		r.pass(pass).Identity = pkg
	case "begin":
		s := r.suite(pass, pkg)
		s.Began = true
		r.current = s
	case "end":
		if sm := reEnd.FindStringSubmatch(m); sm != nil {
			s := r.suite(sm[1], sm[2])
			s.Ended = true
			s.Exit = atoi(sm[3])
			if r.OnSuiteEnd != nil {
				r.OnSuiteEnd(s)
			}
		}
		r.current = nil
	case "skip":
		// "<pass> <pkg>" TAB spec TAB reason; the line was trimmed, so an
		// empty reason may have lost its tab.
		fields := strings.SplitN(rest, "\t", 3)
		pass, pkg, _ := strings.Cut(fields[0], " ")
		k := skippedSpec{}
		if len(fields) > 1 {
			k.Spec = fields[1]
		}
		if len(fields) > 2 {
			k.Reason = strings.TrimSpace(fields[2])
		}
		s := r.suite(pass, pkg)
		s.Skips = append(s.Skips, k)
	case "done":
		r.Done = true
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func atof(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}
