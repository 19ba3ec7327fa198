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
		rules, err := Rules(h)
		if err != nil {
			return nil, err
		}
		var lines []string
		for _, r := range rules {
			if !IsDefaultRule(r) {
				lines = append(lines, ruleLine(r))
			}
		}
		return lines, nil
	})
}

// Rules lists the policy routing rules of h's namespace, IPv4 first, then
// IPv6, each in the kernel's order.
func Rules(h *netlink.Handle) ([]netlink.Rule, error) {
	var all []netlink.Rule
	for _, family := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		rules, err := nsops.RetryDump(func() ([]netlink.Rule, error) { return h.RuleList(family) })
		if err != nil {
			return nil, err
		}
		all = append(all, rules...)
	}
	return all, nil
}

// IsDefaultRule reports whether r is one of the rules every namespace
// starts with: lookup local at 0, main at 32766 and default at 32767.
func IsDefaultRule(r netlink.Rule) bool {
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
	return fam + " " + RuleText(r)
}

// RuleText renders r as "ip rule" shows it, without its family, such as
// "1000: from 10.7.0.0/16 lookup 100".
func RuleText(r netlink.Rule) string {
	s := fmt.Sprintf("%d:", r.Priority)
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
		s += " lookup " + TableName(r.Table)
	}
	return s
}

// TableName names a routing table as "ip" does: main, local, default or
// its number.
func TableName(t int) string {
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
