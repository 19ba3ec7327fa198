package lab

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// wire is one point-to-point veth pair made by [Lab.Connect].
type wire struct{ a, b *Iface }

// Note adds a mark that the lab's diagram shows next to the host, such as
// "NAT: masquerade towards bob" or "DNS server". Marks are shown in the
// order they were added.
func (h *Host) Note(mark string) { h.lab.note(h, mark) }

// Note adds a mark that the lab's diagram shows next to this end of its
// wire or segment attachment, such as "delay 20ms, loss 1%" for an
// impaired link.
func (i *Iface) Note(mark string) { i.Host.lab.note(i, mark) }

func (l *Lab) note(on any, mark string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.notes[on] = append(l.notes[on], mark)
}

// Diagram returns the lab's topology as compact text, as its failure
// report begins with it: the hosts and routers, one line per wire with
// each end's interface and addresses, and each segment with its members.
// Marks added with [Host.Note] and [Iface.Note] follow what they mark.
func (l *Lab) Diagram() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.diagramLocked()
}

// diagramLocked is [Lab.Diagram] for a caller holding l.mu.
func (l *Lab) diagramLocked() string {
	var b strings.Builder
	b.WriteString("topology\n")
	var hosts, routers []string
	for _, name := range slices.Sorted(maps.Keys(l.hosts)) {
		h := l.hosts[name]
		label := name + l.marks(h)
		if h.router {
			routers = append(routers, label)
		} else {
			hosts = append(hosts, label)
		}
	}
	var kinds []string
	if len(hosts) > 0 {
		kinds = append(kinds, "hosts: "+strings.Join(hosts, ", "))
	}
	if len(routers) > 0 {
		kinds = append(kinds, "routers: "+strings.Join(routers, ", "))
	}
	if len(l.segments) > 0 {
		kinds = append(kinds, "segments: "+strings.Join(slices.Sorted(maps.Keys(l.segments)), ", "))
	}
	fmt.Fprintf(&b, "  %s\n", strings.Join(kinds, "; "))
	width := 0
	for _, w := range l.wires {
		width = max(width, len(l.end(w.a)))
	}
	for _, w := range l.wires {
		fmt.Fprintf(&b, "  %-*s ─── %s\n", width, l.end(w.a), l.end(w.b))
	}
	for _, name := range slices.Sorted(maps.Keys(l.segments)) {
		members := l.members(l.segments[name])
		fmt.Fprintf(&b, "  segment %s (bridge %s in a namespace of its own)\n", name, name)
		for n, i := range members {
			branch := "├─"
			if n == len(members)-1 {
				branch = "└─"
			}
			fmt.Fprintf(&b, "    %s %s\n", branch, l.end(i))
		}
	}
	return b.String()
}

// end describes one interface: host:interface, its addresses, its marks.
func (l *Lab) end(i *Iface) string {
	s := i.Host.Name + ":" + i.Name()
	for _, p := range addrsOf(i) {
		s += " " + p
	}
	return s + l.marks(i)
}

func addrsOf(i *Iface) []string {
	var out []string
	if i.IPv4.IsValid() {
		out = append(out, i.IPv4.String())
	}
	if i.IPv6.IsValid() {
		out = append(out, i.IPv6.String())
	}
	return out
}

// marks renders the notes on a host or an interface, for a caller holding
// l.mu.
func (l *Lab) marks(on any) string {
	if len(l.notes[on]) == 0 {
		return ""
	}
	return " [" + strings.Join(l.notes[on], "; ") + "]"
}

// members returns a segment's member interfaces by host name.
func (l *Lab) members(s *Segment) []*Iface {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Iface
	for _, name := range slices.Sorted(maps.Keys(l.hosts)) {
		if i, ok := s.ports[l.hosts[name]]; ok {
			out = append(out, i)
		}
	}
	return out
}

// Mermaid returns the lab's topology as a Mermaid flowchart, for viewing
// on a code host or in a browser: hosts as boxes, routers as hexagons,
// segments as circles, and each wire as an edge labelled with both ends
// (host:interface) and their addresses. Marked things carry their marks; a wire with a
// marked end is drawn dotted. A lab that captures writes it next to its
// captures, as topology.mmd, when the test fails.
func (l *Lab) Mermaid() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	ids := map[*Host]string{}
	for n, name := range slices.Sorted(maps.Keys(l.hosts)) {
		h := l.hosts[name]
		ids[h] = fmt.Sprintf("h%d", n)
		label := mermaidText(name + l.marks(h))
		if h.router {
			fmt.Fprintf(&b, "  %s{{\"%s\"}}\n", ids[h], label)
		} else {
			fmt.Fprintf(&b, "  %s[\"%s\"]\n", ids[h], label)
		}
	}
	for _, w := range l.wires {
		fmt.Fprintf(&b, "  %s %s|\"%s<br/>%s\"| %s\n", ids[w.a.Host], l.mermaidEdge(w.a, w.b),
			mermaidText(l.end(w.a)), mermaidText(l.end(w.b)), ids[w.b.Host])
	}
	for n, name := range slices.Sorted(maps.Keys(l.segments)) {
		s := l.segments[name]
		id := fmt.Sprintf("s%d", n)
		fmt.Fprintf(&b, "  %s((\"%s\"))\n", id, mermaidText("segment "+name))
		for _, i := range l.members(s) {
			fmt.Fprintf(&b, "  %s %s|\"%s\"| %s\n", ids[i.Host], l.mermaidEdge(i), mermaidText(l.end(i)), id)
		}
	}
	return b.String()
}

// mermaidEdge draws a wire dotted when one of its ends is marked.
func (l *Lab) mermaidEdge(ends ...*Iface) string {
	for _, i := range ends {
		if len(l.notes[i]) > 0 {
			return "-.-"
		}
	}
	return "---"
}

// mermaidText escapes what would end a quoted Mermaid label.
func mermaidText(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "\n", "<br/>").Replace(s)
}
