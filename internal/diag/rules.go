package diag

import (
	"fmt"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// ruleLines lists the policy routing rules as "ip rule" does, leaving out
// the ones every namespace starts with (local, main, default). The routes
// of the tables they point to are in the description's routes, each with
// its table.
func ruleLines(nsFd int) []string {
	return withHandle(nsFd, "policy rules", func(h *netlink.Handle, _ []netlink.Link) ([]string, error) {
		var lines []string
		for _, family := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
			rules, err := nsops.RetryDump(func() ([]netlink.Rule, error) { return h.RuleList(family) })
			if err != nil {
				return nil, err
			}
			for _, r := range rules {
				if !isDefaultRule(r) {
					lines = append(lines, ruleLine(r))
				}
			}
		}
		return lines, nil
	})
}

func isDefaultRule(r netlink.Rule) bool {
	plain := r.Src == nil && r.Dst == nil && r.Mark == 0 && r.IifName == "" && r.OifName == "" && !r.Invert &&
		r.Dport == nil && r.Sport == nil && r.IPProto == 0 && r.UIDRange == nil && r.Type <= unix.RTN_UNICAST
	switch {
	case r.Priority == 0 && r.Table == unix.RT_TABLE_LOCAL,
		r.Priority == 32766 && r.Table == unix.RT_TABLE_MAIN,
		r.Priority == 32767 && r.Table == unix.RT_TABLE_DEFAULT:
		return plain
	}
	return false
}

func ruleLine(r netlink.Rule) string {
	fam := "inet"
	if r.Family == netlink.FAMILY_V6 {
		fam = "inet6"
	}
	s := fmt.Sprintf("%s %d:", fam, r.Priority)
	if r.Invert {
		s += " not"
	}
	from := "all"
	if r.Src != nil {
		from = r.Src.String()
	}
	s += " from " + from
	if r.Dst != nil {
		s += " to " + r.Dst.String()
	}
	if r.Mark != 0 || r.Mask != nil {
		s += fmt.Sprintf(" fwmark %#x", r.Mark)
		if r.Mask != nil {
			s += fmt.Sprintf("/%#x", *r.Mask)
		}
	}
	if r.IifName != "" {
		s += " iif " + r.IifName
	}
	if r.OifName != "" {
		s += " oif " + r.OifName
	}
	if r.IPProto > 0 {
		s += fmt.Sprintf(" ipproto %d", r.IPProto)
	}
	if r.Sport != nil {
		s += fmt.Sprintf(" sport %d-%d", r.Sport.Start, r.Sport.End)
	}
	if r.Dport != nil {
		s += fmt.Sprintf(" dport %d-%d", r.Dport.Start, r.Dport.End)
	}
	switch {
	case r.Type == unix.RTN_UNREACHABLE:
		s += " unreachable"
	case r.Type == unix.RTN_BLACKHOLE:
		s += " blackhole"
	case r.Type == unix.RTN_PROHIBIT:
		s += " prohibit"
	case r.Goto > 0:
		s += fmt.Sprintf(" goto %d", r.Goto)
	default:
		s += " lookup " + tableName(r.Table)
	}
	return s
}

func tableName(t int) string {
	switch t {
	case unix.RT_TABLE_MAIN:
		return "main"
	case unix.RT_TABLE_LOCAL:
		return "local"
	case unix.RT_TABLE_DEFAULT:
		return "default"
	}
	return fmt.Sprint(t)
}
