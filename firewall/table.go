package firewall

import (
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/mdlayher/netlink"
	. "github.com/onsi/ginkgo/v2"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/closer"
	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/internal/scope"
)

// TablePrefix starts the names of the library's nftables tables.
const TablePrefix = "scratchnet-"

// Table is one nftables table of the "inet" family (IPv4 and IPv6) that the
// library made in one network namespace, with the base chains its rules need:
// nat prerouting and postrouting, filter input and forward. Other tables in
// the namespace are left alone; their rules apply too, as nftables has it.
type Table struct {
	t     testing.TB
	nsfd  int // the library's own reference to the namespace
	table *nftables.Table

	mu     sync.Mutex
	chains map[chainKind]*nftables.Chain
	rules  []Rule
}

// New makes a table in the network namespace netnsfd refers to, with the
// rules given, in order. The table and its rules are deleted when the current
// node's cleanup runs, unless the namespace is a transient one torn down in
// the same scope: then they go with it. The fd stays owned by the caller.
func New(netnsfd int, rules ...Rule) *Table {
	GinkgoHelper()
	return NewT(GinkgoTB(), netnsfd, rules...)
}

// NewT is [New] for plain testing users; the table is deleted through
// t.Cleanup, and the returned Table reports its failures to t.
func NewT(t testing.TB, netnsfd int, rules ...Rule) *Table {
	t.Helper()
	if err := nsops.Check(netnsfd); err != nil {
		t.Fatalf("cannot make nftables table, reason: %v", err)
	}
	own, err := nsops.Dup(netnsfd)
	if err != nil {
		t.Fatalf("cannot make nftables table in %s, reason: %v", nsops.Describe(netnsfd), err)
	}
	tb := &Table{
		t:      t,
		nsfd:   own,
		table:  &nftables.Table{Name: TablePrefix + randomSuffix(), Family: nftables.TableFamilyINet},
		chains: map[chainKind]*nftables.Chain{},
	}
	c, err := conn(own)
	if err != nil {
		unix.Close(own)
		t.Fatalf("cannot make nftables table %q, reason: %v", tb.table.Name, err)
	}
	c.AddTable(tb.table)
	err = c.Flush()
	release(c)
	if err != nil {
		unix.Close(own)
		t.Fatalf("cannot make nftables table %q in %s, reason: %v", tb.table.Name, nsops.Describe(own), explain(err))
	}
	sc := scope.Of(t)
	sc.Cleanup(t, func() {
		defer unix.Close(own)
		if sc.DiesAt(own) {
			return
		}
		if err := tb.delete(); err != nil {
			t.Errorf("cannot delete nftables table %q in %s, reason: %v", tb.table.Name, nsops.Describe(own), err)
		}
	})
	tb.Add(rules...)
	return tb
}

// Add appends the rules, in order, to the table: each to the end of the
// chains it belongs to. Rules take effect at once for new connections;
// connections already tracked keep their NAT translation.
func (tb *Table) Add(rules ...Rule) {
	tb.t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if err := addRules(tb.nsfd, tb.table, false, tb.chains, rules); err != nil {
		// The batch is one transaction: none of it took effect.
		for k := range tb.chains {
			if !tb.chainUsed(k) {
				delete(tb.chains, k)
			}
		}
		tb.t.Fatalf("%v", err)
	}
	tb.rules = append(tb.rules, rules...)
}

// addRules appends the rules, in order, to the table in the namespace nsfd
// refers to, in one batch, making the base chains they need that are not in
// chains yet and adding them there, and first the table itself if
// newTable. The batch is one transaction: on error none of it took effect,
// but chains may hold chains it would have made.
func addRules(nsfd int, table *nftables.Table, newTable bool, chains map[chainKind]*nftables.Chain, rules []Rule) error {
	c, err := conn(nsfd)
	if err != nil {
		return fmt.Errorf("cannot add rules %q to nftables table %q, reason: %v", describeRules(rules), table.Name, err)
	}
	defer release(c)
	if newTable {
		c.AddTable(table)
	}
	for n, r := range rules {
		if r.exprs == nil {
			return fmt.Errorf("cannot add rule %d to nftables table %q, reason: the rule is empty", n+1, table.Name)
		}
		ex, err := r.exprs()
		if err != nil {
			return fmt.Errorf("cannot add rule %q to nftables table %q, reason: %v", r.desc, table.Name, err)
		}
		for _, k := range r.chains {
			ch, ok := chains[k]
			if !ok {
				ch = c.AddChain(k.chain(table))
				chains[k] = ch
			}
			c.AddRule(&nftables.Rule{Table: table, Chain: ch, Exprs: ex})
		}
	}
	if err := c.Flush(); err != nil {
		err = explain(err)
		if errors.Is(err, unix.EPERM) && nsops.InUserNamespace() && slices.ContainsFunc(rules, func(r Rule) bool { return r.rewrites }) {
			err = fmt.Errorf("%w (in a user namespace other than the initial one, recent kernels refuse rules that rewrite packets, such as those of Cut: see firewall.SkipUnlessSupported(firewall.Rewrite))", err)
		}
		return fmt.Errorf("cannot add rules %q to nftables table %q in %s, reason: %v",
			describeRules(rules), table.Name, nsops.Describe(nsfd), err)
	}
	return nil
}

// chainUsed tells whether a rule added before needs the chain.
func (tb *Table) chainUsed(k chainKind) bool {
	for _, r := range tb.rules {
		for _, rk := range r.chains {
			if rk == k {
				return true
			}
		}
	}
	return false
}

// Name is the table's name in its namespace, such as "scratchnet-a1b2c3".
func (tb *Table) Name() string { return tb.table.Name }

// Rules describes the table's rules, in the order added, much as nft lists
// them, such as `oifname "wan" masquerade`.
func (tb *Table) Rules() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	out := make([]string, 0, len(tb.rules))
	for _, r := range tb.rules {
		out = append(out, r.desc)
	}
	return out
}

// Masquerades lists the interfaces towards which the table's rules
// masquerade, in the order added.
func (tb *Table) Masquerades() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	var out []string
	for _, r := range tb.rules {
		if r.masqOut != "" {
			out = append(out, r.masqOut)
		}
	}
	return out
}

// delete deletes the table if it is still there.
func (tb *Table) delete() error { return deleteTable(tb.nsfd, tb.table) }

// deleteTable deletes the table from the namespace nsfd refers to, with its
// chains and rules, if it is still there.
func deleteTable(nsfd int, table *nftables.Table) error {
	c, err := conn(nsfd)
	if err != nil {
		return err
	}
	defer release(c)
	c.DelTable(table)
	if err := c.Flush(); err != nil && !errors.Is(err, unix.ENOENT) {
		return err
	}
	return nil
}

// replyTimeout bounds the wait for the kernel's answers on one nftables
// netlink socket.
const replyTimeout = 10 * time.Second

// conn returns a lasting nftables connection: one netlink socket, made in
// the namespace nsfd refers to, for all its requests. Hand it to release
// when done.
//
// google/nftables waits for one acknowledgement per message of a batch, but
// a kernel without nf_tables answers a whole batch with one error: without a
// deadline on the socket, Flush would wait for the others forever.
func conn(nsfd int) (*nftables.Conn, error) {
	c, err := nftables.New(nftables.AsLasting(), nftables.WithNetNSFd(nsfd), nftables.WithSockOptions(func(nc *netlink.Conn) error {
		return nc.SetDeadline(time.Now().Add(replyTimeout))
	}))
	if err != nil {
		return nil, fmt.Errorf("cannot open an nftables netlink socket in %s, reason: %w", nsops.Describe(nsfd), explain(err))
	}
	return c, nil
}

// release closes the connection's socket in the background (see package
// closer). Closing a netfilter socket runs nf_tables' release notifier
// (nft_rcv_nl_event), which flushes the work that frees what transactions
// deleted, its own or any other namespace's, and that work waits for an
// RCU grace period first (about 10 ms here), with the namespace's nftables
// lock held: the next change there waits for it too. The deletion took
// effect when the batch was acknowledged; nothing needs to wait for the
// memory. A short-lived socket per Flush, as google/nftables makes without
// AsLasting, would make every deletion cost that wait.
func release(c *nftables.Conn) { closer.Close(closeFunc(c.CloseLasting)) }

// closeFunc is a close function as an io.Closer.
type closeFunc func() error

func (f closeFunc) Close() error { return f() }

func describeRules(rules []Rule) string {
	s := ""
	for n, r := range rules {
		if n > 0 {
			s += "; "
		}
		s += r.desc
	}
	return s
}

func randomSuffix() string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = chars[int(b[i])%len(chars)]
	}
	return string(b)
}

// explain says when the kernel lacks what a rule needs: nftables answers
// ENOENT for a chain type or expression it does not know (NAT, masquerade,
// reject), and the netlink socket cannot be made without nfnetlink.
func explain(err error) error {
	if unsupportedErr(err) {
		return fmt.Errorf("kernel does not support it (%w): see firewall.SkipUnlessSupported", err)
	}
	return err
}
