// Package diag describes network namespaces for failure reports: links with
// their state, addresses and routes, gathered through netlink (no "ip"
// binary needed), and attaches such descriptions to a failing test.
//
// With Ginkgo, [Watch] registers a DeferOnFailure callback: it runs as soon as
// the spec fails and before any teardown, so the report shows the namespace
// as it was at the failure, and adds the description as a report entry
// visible on failure or with -ginkgo.v. With -ginkgo.v a passing spec also
// gets the description, taken when the namespace is torn down. With plain
// testing, the description is logged at teardown when the test failed (or
// with -test.v), after any links with cleanups of their own are gone.
package diag

import (
	"fmt"
	"net"
	"sort"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// Target is one namespace to describe, under a name for the reader.
type Target struct {
	// Name says what the namespace is, such as "host alice".
	Name string
	// NsFd refers to the namespace; it must be open while it is described.
	NsFd int
}

// Watch arranges for the namespaces that targets() returns to be described
// in t's report if t fails. targets is called when the description is made,
// so a lab can add hosts after calling Watch. The fds must stay open until
// the teardown that the caller registered before calling Watch.
func Watch(t testing.TB, title string, targets func() []Target) {
	if g, ok := t.(*ginkgo.GinkgoTBWrapper); ok {
		if !inSetupOrSubject() {
			// Ginkgo refuses DeferOnFailure in teardown nodes and cleanups
			// (and exits); what they create is not what a failure is about.
			return
		}
		g.GinkgoT.DeferOnFailure(func() {
			if tg := targets(); len(tg) > 0 {
				ginkgo.AddReportEntry(title, Render(tg), ginkgo.ReportEntryVisibilityFailureOrVerbose)
			}
		})
		return
	}
	t.Cleanup(func() {
		if tg := targets(); len(tg) > 0 && (t.Failed() || testing.Verbose()) {
			t.Logf("%s\n%s", title, Render(tg))
		}
	})
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

// AtTeardown describes the namespaces for a passing Ginkgo spec run with
// -ginkgo.v; the caller calls it from its teardown, before closing the fds.
// It does nothing otherwise: failures are covered by [Watch].
func AtTeardown(t testing.TB, title string, targets func() []Target) {
	if _, ok := t.(*ginkgo.GinkgoTBWrapper); !ok {
		return
	}
	_, reporter := ginkgo.GinkgoConfiguration()
	if (reporter.Verbose || reporter.VeryVerbose) && !ginkgo.CurrentSpecReport().Failed() {
		if tg := targets(); len(tg) > 0 {
			ginkgo.AddReportEntry(title, Render(tg), ginkgo.ReportEntryVisibilityFailureOrVerbose)
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
	ino, err := nsops.Ino(tg.NsFd)
	if err != nil {
		fmt.Fprintf(b, "%s: cannot describe, reason: %v\n", tg.Name, err)
		return
	}
	fmt.Fprintf(b, "%s (network namespace net:[%d])\n", tg.Name, ino)
	h, err := nsops.HandleAt(tg.NsFd)
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
	for _, l := range links {
		a := l.Attrs()
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
	sort.Strings(lines)
	b.WriteString("  routes:\n")
	for _, l := range lines {
		fmt.Fprintf(b, "    %s\n", l)
	}
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
