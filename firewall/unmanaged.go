package firewall

import (
	"fmt"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// Make makes a table with the rules, in order, in the network namespace
// nsfd refers to, as [New] does, and returns its name. It is for helpers that
// apply and remove rules at times of their own, such as the faults of
// package fault: it returns an error instead of failing a test, and it
// registers no cleanup, so the caller must delete the table with [Remove].
// If any rule cannot be added, no table stays. The fd stays owned by the
// caller.
func Make(nsfd int, rules ...Rule) (name string, err error) {
	table := &nftables.Table{Name: TablePrefix + randomSuffix(), Family: nftables.TableFamilyINet}
	c := conn(nsfd)
	c.AddTable(table)
	if err := c.Flush(); err != nil {
		return "", fmt.Errorf("cannot make nftables table %q in %s, reason: %v", table.Name, nsops.Describe(nsfd), explain(err))
	}
	if err := addRules(nsfd, table, map[chainKind]*nftables.Chain{}, rules); err != nil {
		tb := &Table{nsfd: nsfd, table: table}
		if derr := tb.delete(); derr != nil {
			return "", fmt.Errorf("%w, and cannot delete the table again: %v", err, derr)
		}
		return "", err
	}
	return table.Name, nil
}

// Remove deletes the library's table of this name, made by [Make], from the
// network namespace nsfd refers to, with its chains and rules; a table that
// is gone already is fine. Tables of other names are left alone.
func Remove(nsfd int, name string) error {
	if len(name) <= len(TablePrefix) || name[:len(TablePrefix)] != TablePrefix {
		return fmt.Errorf("cannot delete nftables table %q in %s, reason: the library's tables are named %q and more", name, nsops.Describe(nsfd), TablePrefix)
	}
	tb := &Table{nsfd: nsfd, table: &nftables.Table{Name: name, Family: nftables.TableFamilyINet}}
	if err := tb.delete(); err != nil {
		return fmt.Errorf("cannot delete nftables table %q in %s, reason: %v", name, nsops.Describe(nsfd), err)
	}
	return nil
}

// AlsoOutgoing returns the rule applied also to the packets that the
// namespace itself sends (the output hook), besides those that arrive for it
// and those it routes. A [Reject] of a packet the namespace sends resets the
// sender's own connection, and a [Drop] stalls it. Only filter rules ([Drop],
// [Reject], [ClampMSS]) can apply there; for others the returned rule fails
// when added.
func (r Rule) AlsoOutgoing() Rule {
	out := r
	out.chains = append([]chainKind{}, r.chains...)
	filter := len(r.chains) > 0
	for _, k := range r.chains {
		filter = filter && (k == chainInput || k == chainForward)
	}
	if !filter {
		exprs := r.exprs
		out.exprs = func() ([]expr.Any, error) {
			if _, err := exprs(); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("AlsoOutgoing: %q is not a filter rule", r.desc)
		}
		return out
	}
	out.chains = append(out.chains, chainOutput)
	return out
}
