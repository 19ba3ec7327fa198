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
	rs, err := Nftables(nsFd, maxChains)
	if err != nil {
		return nftablesError(err)
	}
	var lines []string
	for _, t := range rs.Tables {
		lines = append(lines, fmt.Sprintf("table %s %s", FamilyName(t.Family), t.Name))
		for _, c := range rs.Chains {
			if c.Table == nil || c.Table.Name != t.Name || c.Table.Family != t.Family {
				continue
			}
			s := "  chain " + c.Name
			if c.Hooknum != nil {
				s += fmt.Sprintf(" (type %s hook %s", ChainTypeName(c.Type), HookName(t.Family, *c.Hooknum))
				if c.Priority != nil {
					s += fmt.Sprintf(" priority %d", *c.Priority)
				}
				if c.Policy != nil {
					s += " policy " + PolicyName(*c.Policy)
				}
				s += ")"
			}
			if rules, ok := rs.Rules[c]; ok {
				s += fmt.Sprintf(", %d rules", len(rules))
			}
			lines = append(lines, s)
		}
	}
	return lines
}

// A Ruleset is what [Nftables] read of a namespace's nftables.
type Ruleset struct {
	Tables []*nftables.Table
	// Chains are those of all tables, each naming its table.
	Chains []*nftables.Chain
	// Rules holds the rules of the chains whose rules were read.
	Rules map[*nftables.Chain][]*nftables.Rule
}

// Nftables reads the tables and chains of the namespace's nftables, and
// the rules of its first ruleChains chains (all of them when ruleChains is
// negative), one dump each. A kernel without nf_tables gives an empty
// Ruleset; one without nfnetlink an error that [NftablesMissing] reports.
func Nftables(nsFd int, ruleChains int) (Ruleset, error) {
	rs := Ruleset{Rules: map[*nftables.Chain][]*nftables.Rule{}}
	var conn *nftables.Conn
	var err error
	// The socket is made inside the namespace and keeps it: nsops is the
	// one place that switches namespaces.
	if derr := nsops.Do(nsFd, func() { conn, err = nftables.New(nftables.AsLasting()) }); derr != nil {
		err = derr
	}
	if err != nil {
		return rs, err
	}
	defer conn.CloseLasting()
	rs.Tables, err = conn.ListTables()
	if errors.Is(err, unix.EINVAL) {
		// nfnetlink answers a request for a subsystem it does not have,
		// nf_tables being a module not loaded, with EINVAL.
		return rs, nil
	}
	if err != nil {
		return rs, err
	}
	if rs.Chains, err = conn.ListChains(); err != nil {
		return rs, err
	}
	for _, c := range rs.Chains {
		if ruleChains >= 0 && len(rs.Rules) >= ruleChains {
			break
		}
		if c.Table == nil {
			continue
		}
		rules, err := conn.GetRules(c.Table, c)
		if err != nil {
			return rs, err
		}
		rs.Rules[c] = rules
	}
	return rs, nil
}

// NftablesMissing reports whether err says the kernel has no nfnetlink or
// no nf_tables.
func NftablesMissing(err error) bool {
	return errors.Is(err, unix.EPROTONOSUPPORT) || errors.Is(err, unix.EOPNOTSUPP)
}

func nftablesError(err error) []string {
	if NftablesMissing(err) {
		return nil
	}
	return []string{fmt.Sprintf("cannot list nftables, reason: %v", err)}
}

// FamilyName names an nftables family as nft does, such as "inet".
func FamilyName(f nftables.TableFamily) string {
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

// ChainTypeName names a base chain's type, "filter" when unset.
func ChainTypeName(t nftables.ChainType) string {
	if t == "" {
		return "filter"
	}
	return string(t)
}

// HookName names a base chain's hook in its family, such as "input".
func HookName(f nftables.TableFamily, h nftables.ChainHook) string {
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

// PolicyName names a base chain's policy: accept or drop.
func PolicyName(p nftables.ChainPolicy) string {
	if p == nftables.ChainPolicyDrop {
		return "drop"
	}
	return "accept"
}
