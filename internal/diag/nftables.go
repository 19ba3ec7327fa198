package diag

import (
	"errors"
	"fmt"

	"github.com/google/nftables"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// maxChains bounds how many chains have their rules counted, one dump each.
const maxChains = 32

// nftablesLines summarises the nftables ruleset: each table, and each of
// its chains with its hook, priority, policy and number of rules. A kernel
// without nf_tables (or nfnetlink) gives no section.
func nftablesLines(nsFd int) []string {
	var conn *nftables.Conn
	var err error
	// The socket is made inside the namespace and keeps it: nsops is the
	// one place that switches namespaces.
	if derr := nsops.Do(nsFd, func() { conn, err = nftables.New(nftables.AsLasting()) }); derr != nil {
		err = derr
	}
	if err != nil {
		return nftablesError(err)
	}
	defer conn.CloseLasting()
	tables, err := conn.ListTables()
	if errors.Is(err, unix.EINVAL) {
		// nfnetlink answers a request for a subsystem it does not have,
		// nf_tables being a module not loaded, with EINVAL.
		return nil
	}
	if err != nil {
		return nftablesError(err)
	}
	chains, err := conn.ListChains()
	if err != nil {
		return nftablesError(err)
	}
	var lines []string
	counted := 0
	for _, t := range tables {
		lines = append(lines, fmt.Sprintf("table %s %s", familyName(t.Family), t.Name))
		for _, c := range chains {
			if c.Table == nil || c.Table.Name != t.Name || c.Table.Family != t.Family {
				continue
			}
			s := "  chain " + c.Name
			if c.Hooknum != nil {
				s += fmt.Sprintf(" (type %s hook %s", chainType(c.Type), hookName(t.Family, *c.Hooknum))
				if c.Priority != nil {
					s += fmt.Sprintf(" priority %d", *c.Priority)
				}
				if c.Policy != nil {
					s += " policy " + policyName(*c.Policy)
				}
				s += ")"
			}
			if counted < maxChains {
				counted++
				if rules, err := conn.GetRules(t, c); err == nil {
					s += fmt.Sprintf(", %d rules", len(rules))
				}
			}
			lines = append(lines, s)
		}
	}
	return lines
}

func nftablesError(err error) []string {
	if errors.Is(err, unix.EPROTONOSUPPORT) || errors.Is(err, unix.EOPNOTSUPP) {
		return nil
	}
	return []string{fmt.Sprintf("cannot list nftables, reason: %v", err)}
}

func familyName(f nftables.TableFamily) string {
	switch f {
	case nftables.TableFamilyINet:
		return "inet"
	case nftables.TableFamilyIPv4:
		return "ip"
	case nftables.TableFamilyIPv6:
		return "ip6"
	case nftables.TableFamilyARP:
		return "arp"
	case nftables.TableFamilyBridge:
		return "bridge"
	case nftables.TableFamilyNetdev:
		return "netdev"
	}
	return fmt.Sprintf("family-%d", f)
}

func chainType(t nftables.ChainType) string {
	if t == "" {
		return "filter"
	}
	return string(t)
}

func hookName(f nftables.TableFamily, h nftables.ChainHook) string {
	if f == nftables.TableFamilyNetdev {
		switch h {
		case *nftables.ChainHookIngress:
			return "ingress"
		case *nftables.ChainHookEgress:
			return "egress"
		}
	}
	switch h {
	case *nftables.ChainHookPrerouting:
		return "prerouting"
	case *nftables.ChainHookInput:
		return "input"
	case *nftables.ChainHookForward:
		return "forward"
	case *nftables.ChainHookOutput:
		return "output"
	case *nftables.ChainHookPostrouting:
		return "postrouting"
	case *nftables.ChainHookIngress:
		return "ingress"
	}
	return fmt.Sprintf("hook-%d", h)
}

func policyName(p nftables.ChainPolicy) string {
	if p == nftables.ChainPolicyDrop {
		return "drop"
	}
	return "accept"
}
