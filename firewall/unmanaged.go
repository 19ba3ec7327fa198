package firewall

import (
	"errors"
	"fmt"
	"slices"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// Make makes a table with the rules, in order, in the network namespace
// nsfd refers to, as [New] does, and returns its name. It is for helpers that
// apply and remove rules at times of their own, such as the faults of
// package fault: it returns an error instead of failing a test, and it
// registers no cleanup, so the caller must delete the table with [Remove].
// The table and its rules are made in one transaction: if any rule cannot be
// added, there is no table. The fd stays owned by the caller.
func Make(nsfd int, rules ...Rule) (name string, err error) {
	table := &nftables.Table{Name: TablePrefix + randomSuffix(), Family: nftables.TableFamilyINet}
	if err := addRules(nsfd, table, true, map[chainKind]*nftables.Chain{}, rules); err != nil {
		return "", err
	}
	return table.Name, nil
}

// MakeIngressDrop makes a table of the netdev family in the network
// namespace nsfd refers to, with a chain on the ingress hook of the
// interface named device that drops every frame arriving at it, whatever
// its protocol (ARP included), and returns the table's name. Like [Make],
// it returns an error instead of failing a test and registers no cleanup:
// the caller must delete the table with [Remove]. The table needs the
// kernel's netdev family (CONFIG_NF_TABLES_NETDEV) besides [Tables]. The fd
// stays owned by the caller.
func MakeIngressDrop(nsfd int, device string) (name string, err error) {
	table := &nftables.Table{Name: TablePrefix + randomSuffix(), Family: nftables.TableFamilyNetdev}
	c, err := conn(nsfd)
	if err != nil {
		return "", fmt.Errorf("cannot make nftables table %q, reason: %v", table.Name, err)
	}
	defer release(c)
	c.AddTable(table)
	accept := nftables.ChainPolicyAccept
	ch := c.AddChain(&nftables.Chain{Name: "ingress", Table: table, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookIngress, Priority: nftables.ChainPriorityFilter, Device: device, Policy: &accept})
	c.AddRule(&nftables.Rule{Table: table, Chain: ch, Exprs: []expr.Any{&expr.Verdict{Kind: expr.VerdictDrop}}})
	if err := c.Flush(); err != nil {
		return "", fmt.Errorf("cannot make nftables table %q dropping what arrives at %q in %s, reason: %v", table.Name, device, nsops.Describe(nsfd), explain(err))
	}
	return table.Name, nil
}

// Remove deletes the library's table of this name, made by [Make] or
// [MakeIngressDrop], from the network namespace nsfd refers to, with its
// chains and rules; a table that is gone already is fine. Tables of other
// names are left alone.
func Remove(nsfd int, name string) error {
	if len(name) <= len(TablePrefix) || name[:len(TablePrefix)] != TablePrefix {
		return fmt.Errorf("cannot delete nftables table %q in %s, reason: the library's tables are named %q and more", name, nsops.Describe(nsfd), TablePrefix)
	}
	if err := removeNamed(nsfd, name); err != nil {
		return fmt.Errorf("cannot delete nftables table %q in %s, reason: %v", name, nsops.Describe(nsfd), err)
	}
	return nil
}

// removeNamed deletes the tables of this name, of any family, from the
// namespace, in one transaction on one socket.
func removeNamed(nsfd int, name string) error {
	c, err := conn(nsfd)
	if err != nil {
		return err
	}
	defer release(c)
	tables, err := c.ListTables()
	if err != nil {
		return err
	}
	found := false
	for _, t := range tables {
		if t.Name == name {
			c.DelTable(t)
			found = true
		}
	}
	if !found {
		return nil
	}
	if err := c.Flush(); err != nil && !errors.Is(err, unix.ENOENT) {
		return err
	}
	return nil
}

// OnlyArriving returns the filter rule ([Drop], [Reject], [ClampMSS])
// applied only to the packets that arrive for the namespace itself (the
// input hook), not to those it routes: a host that drops what comes from
// an address still forwards it for others. For other rules the returned
// rule fails when added.
func (r Rule) OnlyArriving() Rule {
	out := r
	if !slices.Contains(r.chains, chainInput) {
		exprs := r.exprs
		out.exprs = func() ([]expr.Any, error) {
			if _, err := exprs(); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("OnlyArriving: %q is not a filter rule", r.desc)
		}
		return out
	}
	out.chains = []chainKind{chainInput}
	return out
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
