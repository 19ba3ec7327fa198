package diag

import (
	"fmt"
	"math"

	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// qdiscLines lists the queueing disciplines as "tc qdisc" does, with the
// parameters that explain delayed, lost or throttled traffic (netem, tbf,
// htb and its classes); the "noqueue" of virtual links is left out.
func qdiscLines(nsFd int) []string {
	return withHandle(nsFd, "qdiscs", func(h *netlink.Handle, links []netlink.Link) ([]string, error) {
		names := namesOf(links)
		qdiscs, err := nsops.RetryDump(func() ([]netlink.Qdisc, error) { return h.QdiscList(nil) })
		if err != nil {
			return nil, err
		}
		var lines []string
		for _, q := range qdiscs {
			a := q.Attrs()
			if q.Type() == "noqueue" {
				continue
			}
			where := "root"
			if a.Parent != netlink.HANDLE_ROOT {
				where = "parent " + netlink.HandleStr(a.Parent)
			}
			lines = append(lines, fmt.Sprintf("dev %s %s %s %s%s", nameOr(names, a.LinkIndex), where, q.Type(),
				netlink.HandleStr(a.Handle), QdiscParams(q)))
			if _, ok := q.(*netlink.Htb); ok {
				lines = append(lines, htbClasses(h, a.LinkIndex, names)...)
			}
		}
		return lines, nil
	})
}

// QdiscParams renders the parameters of a netem, tbf or htb qdisc as tc
// does, each after a space, and "" for other qdiscs.
func QdiscParams(q netlink.Qdisc) string {
	switch q := q.(type) {
	case *netlink.Netem:
		s := ""
		if q.Latency > 0 {
			s += fmt.Sprintf(" delay %s", usec(float64(q.Latency)/netlink.TickInUsec()))
		}
		if q.Jitter > 0 {
			s += fmt.Sprintf(" jitter %s", usec(float64(q.Jitter)/netlink.TickInUsec()))
		}
		if q.Loss > 0 {
			s += fmt.Sprintf(" loss %s", percent(q.Loss))
		}
		if q.Duplicate > 0 {
			s += fmt.Sprintf(" duplicate %s", percent(q.Duplicate))
		}
		if q.ReorderProb > 0 {
			s += fmt.Sprintf(" reorder %s gap %d", percent(q.ReorderProb), q.Gap)
		}
		if q.CorruptProb > 0 {
			s += fmt.Sprintf(" corrupt %s", percent(q.CorruptProb))
		}
		if q.Rate64 > 0 {
			s += " rate " + bitRate(q.Rate64)
		}
		return s + fmt.Sprintf(" limit %d", q.Limit)
	case *netlink.Tbf:
		return fmt.Sprintf(" rate %s burst %db limit %db", bitRate(q.Rate), netlink.Xmitsize(q.Rate, q.Buffer), q.Limit)
	case *netlink.Htb:
		return fmt.Sprintf(" default %#x r2q %d", q.Defcls, q.Rate2Quantum)
	}
	return ""
}

func htbClasses(h *netlink.Handle, index int, names map[int]string) []string {
	classes, err := nsops.RetryDump(func() ([]netlink.Class, error) {
		return h.ClassList(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: index}}, 0)
	})
	if err != nil {
		return []string{fmt.Sprintf("  cannot list classes of %s, reason: %v", nameOr(names, index), err)}
	}
	var lines []string
	for _, c := range classes {
		if hc, ok := c.(*netlink.HtbClass); ok {
			lines = append(lines, fmt.Sprintf("  class htb %s parent %s rate %s ceil %s",
				netlink.HandleStr(hc.Handle), netlink.HandleStr(hc.Parent), bitRate(hc.Rate), bitRate(hc.Ceil)))
		}
	}
	return lines
}

// bitRate renders a rate in bytes per second as tc does, in bits.
func bitRate(bytesPerSec uint64) string {
	bits := float64(bytesPerSec) * 8
	for _, u := range []struct {
		div  float64
		unit string
	}{{1e9, "Gbit"}, {1e6, "Mbit"}, {1e3, "Kbit"}} {
		if bits >= u.div {
			return fmt.Sprintf("%g%s", math.Round(bits/u.div*100)/100, u.unit)
		}
	}
	return fmt.Sprintf("%gbit", bits)
}

func usec(us float64) string {
	if us >= 1000 {
		return fmt.Sprintf("%gms", math.Round(us/10)/100)
	}
	return fmt.Sprintf("%gus", math.Round(us))
}

// percent renders netem's probabilities, fractions of 2^32-1.
func percent(p uint32) string {
	return fmt.Sprintf("%g%%", math.Round(float64(p)/math.MaxUint32*10000)/100)
}
