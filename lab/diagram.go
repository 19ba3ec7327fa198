package lab

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/scratchnet/scratchnet/internal/diag"
)

// wire is one point-to-point veth pair made by [Lab.Connect].
type wire struct{ a, b *Iface }

// Note adds a mark that the lab's diagram shows next to the host, such as
// "NAT: masquerade towards bob" or "DNS server". Marks are shown in the
// order they were added.
func (h *Host) Note(mark string) { h.lab.note(h, mark) }

// Note adds a mark that the lab's diagram shows next to this end of its
// wire or segment attachment, such as "delay 20ms, loss 1%" for an
// impaired link. A wire with a marked end is drawn dotted in Mermaid.
func (i *Iface) Note(mark string) { i.Host.lab.note(i, mark) }

func (l *Lab) note(on any, mark string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.notes[on] = append(l.notes[on], mark)
}

// picture is what a diagram shows, copied from the lab so that it is drawn
// without holding any of the lab's locks.
type picture struct {
	hosts    []*Host // by name
	routers  map[*Host]bool
	wires    []wire
	segments []string // by name
	members  map[string][]*Iface
	// ports are the names of the members' bridge ports.
	ports map[*Iface]string
	notes map[any][]string
}

// snapshot copies the lab's topology. It takes the lab's lock and then
// each segment's, one at a time: attaching a host holds a segment's lock
// while it takes the lab's.
func (l *Lab) snapshot() picture {
	l.mu.Lock()
	p := picture{routers: map[*Host]bool{}, wires: slices.Clone(l.wires), members: map[string][]*Iface{},
		ports: map[*Iface]string{}, notes: map[any][]string{}}
	for _, name := range slices.SortedFunc(maps.Keys(l.hosts), diag.NaturalCompare) {
		h := l.hosts[name]
		p.hosts = append(p.hosts, h)
		p.routers[h] = h.router
	}
	for on, marks := range l.notes {
		p.notes[on] = slices.Clone(marks)
	}
	p.segments = slices.SortedFunc(maps.Keys(l.segments), diag.NaturalCompare)
	segments := maps.Clone(l.segments)
	l.mu.Unlock()
	// What the lab does to traffic is marked as it is now: an impairment
	// may have changed or gone, and NAT been added, since it was made.
	for _, h := range p.hosts {
		for _, out := range h.NATs() {
			p.notes[h] = append(p.notes[h], "NAT: masquerade towards "+out)
		}
	}
	for _, w := range p.wires {
		for _, end := range []*Iface{w.a, w.b} {
			if end.Impaired() {
				p.notes[end] = append(p.notes[end], end.Impairment().String())
			}
		}
	}
	for _, name := range p.segments {
		s := segments[name]
		s.mu.Lock()
		for _, h := range p.hosts {
			if i, ok := s.ports[h]; ok {
				p.members[name] = append(p.members[name], i)
				p.ports[i] = s.portNames[h]
			}
		}
		s.mu.Unlock()
	}
	return p
}

// Diagram returns the lab's topology as compact text, as its failure
// report begins with it: the hosts and routers, one line per wire with
// each end's interface and addresses, and each segment with its members.
// Marks added with [Host.Note] and [Iface.Note] follow what they mark.
func (l *Lab) Diagram() string { return l.snapshot().text() }

func (p picture) text() string { return p.textOf(nil) }

// textOf draws the hosts in shown, the wires and segment members of
// theirs, and counts the rest; a nil shown draws everything.
func (p picture) textOf(shown map[*Host]bool) string {
	show := func(h *Host) bool { return shown == nil || shown[h] }
	var b strings.Builder
	b.WriteString("topology\n")
	var hosts, routers []string
	hiddenHosts, hiddenRouters := 0, 0
	for _, h := range p.hosts {
		switch {
		case !show(h) && p.routers[h]:
			hiddenRouters++
		case !show(h):
			hiddenHosts++
		case p.routers[h]:
			routers = append(routers, h.Name+p.marks(h))
		default:
			hosts = append(hosts, h.Name+p.marks(h))
		}
	}
	var segments []string
	hiddenSegments := 0
	for _, name := range p.segments {
		if slices.ContainsFunc(p.members[name], func(i *Iface) bool { return show(i.Host) }) || shown == nil {
			segments = append(segments, name)
		} else {
			hiddenSegments++
		}
	}
	var kinds []string
	for _, k := range []struct {
		kind   string
		names  []string
		hidden int
	}{{"hosts", hosts, hiddenHosts}, {"routers", routers, hiddenRouters}, {"segments", segments, hiddenSegments}} {
		switch {
		case k.hidden > 0 && len(k.names) == 0:
			k.names = []string{fmt.Sprint(k.hidden)}
		case k.hidden > 0:
			k.names = append(k.names, fmt.Sprintf("and %d more", k.hidden))
		}
		if len(k.names) > 0 {
			kinds = append(kinds, k.kind+": "+strings.Join(k.names, ", "))
		}
	}
	fmt.Fprintf(&b, "  %s\n", strings.Join(kinds, "; "))
	var wires []wire
	for _, w := range p.wires {
		if show(w.a.Host) || show(w.b.Host) {
			wires = append(wires, w)
		}
	}
	width := 0
	for _, w := range wires {
		width = max(width, len(p.end(w.a)))
	}
	for _, w := range wires {
		fmt.Fprintf(&b, "  %-*s ─── %s\n", width, p.end(w.a), p.end(w.b))
	}
	if n := len(p.wires) - len(wires); n > 0 {
		fmt.Fprintf(&b, "  ... and %d more wires\n", n)
	}
	for _, name := range segments {
		var lines []string
		for _, i := range p.members[name] {
			if show(i.Host) {
				lines = append(lines, p.end(i))
			}
		}
		if n := len(p.members[name]) - len(lines); n > 0 {
			lines = append(lines, fmt.Sprintf("... and %d more members", n))
		}
		fmt.Fprintf(&b, "  segment %s (bridge %s in a namespace of its own)\n", name, name)
		for n, line := range lines {
			branch := "├─"
			if n == len(lines)-1 {
				branch = "└─"
			}
			fmt.Fprintf(&b, "    %s %s\n", branch, line)
		}
	}
	return b.String()
}

// end describes one interface: host:interface, its addresses, its marks.
func (p picture) end(i *Iface) string {
	s := i.Host.Name + ":" + i.Name()
	if i.IPv4.IsValid() {
		s += " " + i.IPv4.String()
	}
	if i.IPv6.IsValid() {
		s += " " + i.IPv6.String()
	}
	return s + p.marks(i)
}

// marks renders the notes on a host or an interface.
func (p picture) marks(on any) string {
	if len(p.notes[on]) == 0 {
		return ""
	}
	return " [" + strings.Join(p.notes[on], "; ") + "]"
}

// Mermaid returns the lab's topology as a Mermaid flowchart, for viewing
// on a code host or in a browser: hosts as boxes, routers as hexagons,
// segments as circles, and each wire as an edge labelled with both ends
// (host:interface) and their addresses. Marked things carry their marks; a
// wire with a marked end is drawn dotted. A lab that captures writes it
// next to its captures, as topology.mmd, when the test fails.
func (l *Lab) Mermaid() string {
	p := l.snapshot()
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	ids := map[*Host]string{}
	for n, h := range p.hosts {
		ids[h] = fmt.Sprintf("h%d", n)
		label := mermaidText(h.Name + p.marks(h))
		if p.routers[h] {
			fmt.Fprintf(&b, "  %s{{\"%s\"}}\n", ids[h], label)
		} else {
			fmt.Fprintf(&b, "  %s[\"%s\"]\n", ids[h], label)
		}
	}
	for _, w := range p.wires {
		fmt.Fprintf(&b, "  %s %s|\"%s<br/>%s\"| %s\n", ids[w.a.Host], p.edge(w.a, w.b),
			mermaidText(p.end(w.a)), mermaidText(p.end(w.b)), ids[w.b.Host])
	}
	for n, name := range p.segments {
		id := fmt.Sprintf("s%d", n)
		fmt.Fprintf(&b, "  %s((\"%s\"))\n", id, mermaidText("segment "+name))
		for _, i := range p.members[name] {
			fmt.Fprintf(&b, "  %s %s|\"%s\"| %s\n", ids[i.Host], p.edge(i), mermaidText(p.end(i)), id)
		}
	}
	return b.String()
}

// edge draws a wire dotted when one of its ends is marked.
func (p picture) edge(ends ...*Iface) string {
	for _, i := range ends {
		if len(p.notes[i]) > 0 {
			return "-.-"
		}
	}
	return "---"
}

// mermaidText escapes what would end a quoted Mermaid label.
func mermaidText(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "\n", "<br/>").Replace(s)
}
