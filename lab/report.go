package lab

import (
	"fmt"
	"strings"

	"github.com/scratchnet/scratchnet/internal/diag"
)

// fullReport is the most hosts (routers included) of a lab whose failure
// report describes every namespace: beyond, a report of every host would
// bury the few that matter in thousands of lines.
const fullReport = 16

// ReportInFull has the failure report of a big lab (more than 16 hosts,
// routers included) describe these hosts in full, besides the hosts the
// failure message names. A big lab's report draws only those hosts, their
// wires and their segment members, and counts the rest; it describes their
// namespaces and, for their segments, the bridge and their ports, and
// counts the other namespaces (a paused test still says how to get into
// each of them). With Ginkgo, the failure message is the spec's, so a
// failing reachability matcher names the hosts it is about; with plain
// testing there is no message to read, and ReportInFull is the way to
// choose. A lab of up to 16 hosts is reported in full either way.
func (l *Lab) ReportInFull(hosts ...*Host) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, h := range hosts {
		l.inFull[h] = true
	}
}

// report lists the lab's namespaces after its diagram: a big lab's are
// described only for the hosts named in message or by ReportInFull (and
// their segments); the others are omitted, yet listed, for a paused test.
func (l *Lab) report(message string) []diag.Target {
	p := l.snapshot()
	if len(p.hosts) == 0 {
		return nil
	}
	var shown map[*Host]bool
	if len(p.hosts) > fullReport {
		shown = map[*Host]bool{}
		l.mu.Lock()
		for _, h := range p.hosts {
			if l.inFull[h] || namedIn(message, h.Name) {
				shown[h] = true
			}
		}
		l.mu.Unlock()
	}
	out := []diag.Target{{Text: p.textOf(shown)}}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	described := 0
	for _, h := range p.hosts {
		tg := diag.Target{Name: "host " + h.Name, NsFd: h.netns, Omitted: shown != nil && !shown[h]}
		if !tg.Omitted {
			described++
		}
		out = append(out, tg)
	}
	segments := 0
	for _, name := range p.segments {
		tg := diag.Target{Name: "segment " + name, NsFd: l.segments[name].netns}
		if shown != nil {
			tg.Links = []string{"lo", l.segments[name].bridge.Attrs().Name}
			for _, i := range p.members[name] {
				if shown[i.Host] {
					tg.Links = append(tg.Links, p.ports[i])
				}
			}
			tg.Omitted = len(tg.Links) == 2
		}
		if !tg.Omitted {
			segments++
		}
		out = append(out, tg)
	}
	if shown != nil {
		what := fmt.Sprintf("%d of %d hosts", described, len(p.hosts))
		if len(p.segments) > 0 {
			what += fmt.Sprintf(" and %d of %d segments", segments, len(p.segments))
		}
		out = append(out, diag.Target{Text: "described above: " + what +
			", those of the hosts that the failure message names or Lab.ReportInFull marks\n"})
	}
	return out
}

// namedIn reports whether name occurs in message as a whole name, as in
// `network namespace "h7"` or "h7:lan", and not as part of h70.
func namedIn(message, name string) bool {
	for from := 0; ; {
		n := strings.Index(message[from:], name)
		if n < 0 {
			return false
		}
		start, end := from+n, from+n+len(name)
		if (start == 0 || !nameByte(message[start-1])) && (end == len(message) || !nameByte(message[end])) {
			return true
		}
		from = start + 1
	}
}

// nameByte reports whether b would continue a host name in a message.
func nameByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '-'
}
