// Package diag describes network namespaces for failure reports: links with
// their state, addresses and routes, gathered through netlink (no "ip"
// binary needed), plus the sections other packages add ([AddSection]), and
// attaches such descriptions to a failing test.
//
// A description is taken before any of the library's cleanups of the test
// runs. With Ginkgo, [Watch] registers a DeferOnFailure callback, which runs
// as soon as the spec fails, so it shows what the spec left; with -ginkgo.v
// a passing spec gets the description too, taken just before the first of
// the scope's cleanups. With plain testing, the description is logged when
// the test failed or runs with -test.v: by [ReportNow] when the test defers
// it (guard.ReportT), as the body ends, and otherwise just before the first
// of the scope's cleanups, which is after the test's deferred calls and the
// cleanups it registered later than the scope's last one. testing has no
// hook between a body's end and its cleanups but the body's own defers.
// Each description names the user's line that created what it describes,
// and a plain test's log line points at the test.
package diag

import (
	"fmt"
	"io"
	"net"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/internal/scope"
)

// Target is one namespace to describe, under a name for the reader.
type Target struct {
	// Name says what the namespace is, such as "host alice".
	Name string
	// NsFd refers to the namespace; it must be open while it is described.
	NsFd int
	// Text, when not empty, is shown as it is instead of a namespace
	// description, such as a lab's diagram; Name and NsFd are then unused.
	Text string
	// Links, when not nil, names the links to describe, such as the
	// bridge ports of the hosts a failure is about in a segment of
	// hundreds; the others are counted in one line.
	Links []string
	// Omitted leaves the namespace out of the report, as a big lab leaves
	// out the hosts a failure is not about, while a paused test (see
	// [PauseEnv]) still says how to get into it.
	Omitted bool
}

// Watch arranges for the namespaces that targets() returns to be described
// in t's report if t fails, or in a verbose run, before any cleanup of scope
// sc runs. targets is called when the description is made, so a lab can add
// hosts after calling Watch. The fds must stay open until a cleanup
// registered through sc. created is the user's line the report points at
// (see [Caller]).
func Watch(t testing.TB, sc *scope.Scope, title string, created types.CodeLocation, targets func() []Target) {
	watchPause(t, sc, targets)
	heading := title + " (created at " + created.String() + ")"
	if g, ok := t.(*ginkgo.GinkgoTBWrapper); ok {
		if inSetupOrSubject() {
			// Ginkgo refuses DeferOnFailure in teardown nodes and cleanups
			// (and exits); what they create is not what a failure is about.
			g.GinkgoT.DeferOnFailure(func() {
				if tg := targets(); len(tg) > 0 {
					ginkgo.AddReportEntry(title, Render(tg), created, ginkgo.ReportEntryVisibilityFailureOrVerbose)
				}
			})
		}
		sc.BeforeTeardown(func() {
			_, reporter := ginkgo.GinkgoConfiguration()
			if (reporter.Verbose || reporter.VeryVerbose) && !ginkgo.CurrentSpecReport().Failed() {
				if tg := targets(); len(tg) > 0 {
					ginkgo.AddReportEntry(title, Render(tg), created, ginkgo.ReportEntryVisibilityFailureOrVerbose)
				}
			}
		})
		return
	}
	r := &plainReport{heading: heading, created: created, targets: targets}
	plainMu.Lock()
	plain[t] = append(plain[t], r)
	plainMu.Unlock()
	sc.BeforeTeardown(func() {
		plainMu.Lock()
		plain[t] = slices.DeleteFunc(plain[t], func(q *plainReport) bool { return q == r })
		if len(plain[t]) == 0 {
			delete(plain, t)
		}
		taken := r.taken
		plainMu.Unlock()
		if !taken && (t.Failed() || testing.Verbose()) {
			r.write(t, created)
		}
	})
}

// A plainReport is the report of one Watch call in a plain test, until it
// has been written or the scope's teardown began.
type plainReport struct {
	heading string
	created types.CodeLocation
	targets func() []Target
	taken   bool // written by ReportNow
}

var (
	plainMu sync.Mutex
	plain   = map[testing.TB][]*plainReport{}
)

// write renders the report and logs it under a location of the user's:
// the report is made in the library, and t.Logf would point at the
// library's line (or, from a cleanup, at whichever helper registered the
// scope's first cleanup), not at the test.
func (r *plainReport) write(t testing.TB, at types.CodeLocation) {
	tg := r.targets()
	if len(tg) == 0 {
		return
	}
	msg := r.heading + "\n" + Render(tg)
	switch t.(type) {
	case *testing.T, *testing.B, *testing.F:
		s := fmt.Sprintf("%s:%d: %s", filepath.Base(at.FileName), at.LineNumber, strings.TrimSuffix(msg, "\n"))
		// Continuation lines indented as t.Logf indents them.
		_, _ = io.WriteString(t.Output(), strings.ReplaceAll(s, "\n", "\n    ")+"\n")
	default:
		// Another implementation (a wrapper, a recorder) may have no
		// Output; it gets the message as t.Logf gives it.
		t.Logf("%s", msg)
	}
}

// ReportNow writes, if plain test t has failed or the run is verbose, the
// reports that Watch arranged for t and that are still to come, and keeps
// the teardown from writing them again. Deferred in the test body, it shows
// what the body left: deferred calls run when the body returns or fails
// with t.Fatal, before any of t's cleanups. The reports point at the test's
// line that was running. For a Ginkgo spec it does nothing: Ginkgo's
// reports are taken when the spec fails.
func ReportNow(t testing.TB) {
	if !t.Failed() && !testing.Verbose() {
		return
	}
	plainMu.Lock()
	var due []*plainReport
	for _, r := range plain[t] {
		if !r.taken {
			r.taken = true
			due = append(due, r)
		}
	}
	plainMu.Unlock()
	for _, r := range due {
		r.write(t, testLine(r.created))
	}
}

// testLine returns the line the test function is at: the frame that
// testing's runner called, which is the line of a t.Fatal when the deferred
// ReportNow runs from it. Outside testing's runner it is the innermost
// frame in a _test.go file, and otherwise fallback.
func testLine(fallback types.CodeLocation) types.CodeLocation {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	var prev, inTestFile runtime.Frame
	for {
		f, more := frames.Next()
		if f.Function == "testing.tRunner" && prev.File != "" {
			return types.CodeLocation{FileName: prev.File, LineNumber: prev.Line}
		}
		if inTestFile.File == "" && strings.HasSuffix(f.File, "_test.go") {
			inTestFile = f
		}
		prev = f
		if !more {
			break
		}
	}
	if inTestFile.File != "" {
		return types.CodeLocation{FileName: inTestFile.File, LineNumber: inTestFile.Line}
	}
	return fallback
}

// onFailureNodes are the node types in which Ginkgo accepts DeferOnFailure.
const onFailureNodes = types.NodeTypeIt | types.NodeTypeBeforeEach | types.NodeTypeJustBeforeEach |
	types.NodeTypeBeforeAll | types.NodeTypeBeforeSuite | types.NodeTypeSynchronizedBeforeSuite

// inSetupOrSubject reports whether the running Ginkgo node accepts
// DeferOnFailure: the last node that started, as the current spec's timeline
// tells, is the one running.
func inSetupOrSubject() bool {
	events := ginkgo.CurrentSpecReport().SpecEvents
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].SpecEventType == types.SpecEventNodeStart {
			return events[i].NodeType.Is(onFailureNodes)
		}
	}
	return false
}

// modulePrefix starts the function names of this module's packages.
const modulePrefix = "github.com/scratchnet/scratchnet/"

// Caller returns the location of the innermost caller outside the library:
// the first frame that is not in one of this module's packages, or that is
// in one of its test files.
func Caller() types.CodeLocation {
	pcs := make([]uintptr, 32)
	n := runtime.Callers(2, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, modulePrefix) || strings.HasSuffix(f.File, "_test.go") {
			return types.CodeLocation{FileName: f.File, LineNumber: f.Line}
		}
		if !more {
			return types.NewCustomCodeLocation("unknown location")
		}
	}
}

// A section adds lines to every namespace's description.
type section struct {
	title string
	lines func(nsFd int) []string
	// bounded sections show at most maxSectionLines lines; other
	// packages' sections, such as a process's whole stderr, show all.
	bounded bool
}

var (
	sectionsMu sync.Mutex
	sections   []section
)

// AddSection has every namespace description end with a section of that
// title listing what lines returns for the namespace, one line each; a
// section without lines is left out. Packages call it from init, for what
// they know about a namespace that netlink does not tell, such as the
// processes started there. lines must not block for long and must be safe
// for concurrent use.
func AddSection(title string, lines func(nsFd int) []string) {
	sectionsMu.Lock()
	defer sectionsMu.Unlock()
	sections = append(sections, section{title: title, lines: lines})
}

// addBoundedSection is AddSection for this package's own sections, which
// show at most maxSectionLines lines each: the lines of thousands of
// neighbours, ports or sockets would bury the rest of the report.
func addBoundedSection(title string, lines func(nsFd int) []string) {
	sectionsMu.Lock()
	defer sectionsMu.Unlock()
	sections = append(sections, section{title: title, lines: lines, bounded: true})
}

func writeSections(b *strings.Builder, nsFd int, hidden map[string]bool) {
	sectionsMu.Lock()
	all := append([]section(nil), sections...)
	sectionsMu.Unlock()
	for _, sec := range all {
		lines := notAbout(sec.lines(nsFd), hidden, sec.bounded)
		if len(lines) == 0 {
			continue
		}
		fmt.Fprintf(b, "  %s:\n", sec.title)
		for _, l := range lines {
			fmt.Fprintf(b, "    %s\n", l)
		}
	}
}

// Render renders the namespaces as text, one block per namespace.
func Render(targets []Target) string {
	var b strings.Builder
	for _, tg := range targets {
		describeOne(&b, tg)
	}
	return b.String()
}

func describeOne(b *strings.Builder, tg Target) {
	if tg.Omitted {
		return
	}
	if tg.Text != "" {
		b.WriteString(tg.Text)
		return
	}
	ino, err := nsops.Ino(tg.NsFd)
	if err != nil {
		fmt.Fprintf(b, "%s: cannot describe, reason: %v\n", tg.Name, err)
		return
	}
	fmt.Fprintf(b, "%s (network namespace net:[%d])\n", tg.Name, ino)
	h, err := nsops.RouteHandleAt(tg.NsFd)
	if err != nil {
		fmt.Fprintf(b, "  cannot open netlink handle, reason: %v\n", err)
		return
	}
	defer h.Close()
	links, err := nsops.RetryDump(h.LinkList)
	if err != nil {
		fmt.Fprintf(b, "  cannot list links, reason: %v\n", err)
		return
	}
	addrs, err := nsops.RetryDump(func() ([]netlink.Addr, error) { return h.AddrList(nil, netlink.FAMILY_ALL) })
	if err != nil {
		fmt.Fprintf(b, "  cannot list addresses, reason: %v\n", err)
	}
	names := map[int]string{}
	for _, l := range links {
		names[l.Attrs().Index] = l.Attrs().Name
	}
	shown, skipped := 0, 0
	hidden := map[string]bool{}
	for _, l := range links {
		a := l.Attrs()
		if tg.Links != nil && !slices.Contains(tg.Links, a.Name) {
			hidden[a.Name] = true
			skipped++
			continue
		}
		if shown == maxSectionLines {
			skipped++
			continue
		}
		shown++
		fmt.Fprintf(b, "  %d: %s (%s) <%s> state %s mtu %d", a.Index, a.Name, l.Type(), flags(a.Flags), a.OperState, a.MTU)
		if a.MasterIndex > 0 {
			fmt.Fprintf(b, " master %s", nameOr(names, a.MasterIndex))
		}
		if len(a.HardwareAddr) > 0 {
			fmt.Fprintf(b, " link/ether %s", a.HardwareAddr)
		}
		b.WriteString("\n")
		for _, ad := range addrs {
			if ad.LinkIndex == a.Index {
				fmt.Fprintf(b, "      %s %s\n", family(ad.IP), ad.IPNet)
			}
		}
	}
	if skipped > 0 {
		fmt.Fprintf(b, "  ... and %d more links\n", skipped)
	}
	routes, err := nsops.RetryDump(func() ([]netlink.Route, error) {
		return h.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	})
	if err != nil {
		fmt.Fprintf(b, "  cannot list routes, reason: %v\n", err)
		return
	}
	var lines []string
	for _, r := range routes {
		if r.Table == unix.RT_TABLE_LOCAL {
			continue
		}
		lines = append(lines, routeLine(r, names))
	}
	slices.SortFunc(lines, NaturalCompare)
	b.WriteString("  routes:\n")
	for _, l := range notAbout(lines, hidden, true) {
		fmt.Fprintf(b, "    %s\n", l)
	}
	writeSections(b, tg.NsFd, hidden)
}

func routeLine(r netlink.Route, names map[int]string) string {
	dst := "default"
	if r.Dst != nil {
		if ones, _ := r.Dst.Mask.Size(); ones > 0 || !r.Dst.IP.IsUnspecified() {
			dst = r.Dst.String()
		}
	}
	s := dst
	if r.Gw != nil {
		s += " via " + r.Gw.String()
	}
	if r.LinkIndex > 0 {
		s += " dev " + nameOr(names, r.LinkIndex)
	}
	if r.Table != unix.RT_TABLE_MAIN {
		s += fmt.Sprintf(" table %d", r.Table)
	}
	return s
}

func nameOr(names map[int]string, index int) string {
	if n, ok := names[index]; ok {
		return n
	}
	return fmt.Sprintf("if%d", index)
}

func flags(f net.Flags) string {
	return strings.ToUpper(strings.ReplaceAll(f.String(), "|", ","))
}

func family(ip net.IP) string {
	if ip.To4() != nil {
		return "inet"
	}
	return "inet6"
}

// notAbout leaves out the lines that name a hidden link (one that
// [Target.Links] leaves out) as a word of their own, bounds the rest to
// maxSectionLines if asked, and says how many it left out.
func notAbout(lines []string, hidden map[string]bool, bound bool) []string {
	out := lines
	if len(hidden) > 0 {
		out = slices.DeleteFunc(slices.Clone(lines), func(line string) bool {
			words := strings.FieldsFunc(line, func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune(":,=()[]<>\"'", r) })
			return slices.ContainsFunc(words, func(w string) bool { return hidden[w] })
		})
	}
	n := len(lines) - len(out)
	if bound {
		out = bounded(out)
	}
	if n > 0 {
		out = append(out, fmt.Sprintf("... and %d more about links not described", n))
	}
	return out
}
