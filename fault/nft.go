package fault

import (
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/firewall"
	"github.com/scratchnet/scratchnet/internal/nsops"
)

// A faultTable is one nftables table that a fault made in one namespace.
// Faults do not add to a firewall.Table: those live as long as their node
// and fail the test themselves, while a fault's rules come and go with
// Apply and Heal, which return errors. A table of the fault's own makes the
// heal exact: deleting it removes every chain and rule of the fault and no
// one else's.
type faultTable struct {
	nsfd  int // the fault's own reference to the namespace
	table *nftables.Table
}

// nftReplyTimeout bounds the wait for the kernel's answers on one nftables
// netlink socket: a kernel without nf_tables answers a whole batch with one
// error, and google/nftables would wait for the other answers forever.
const nftReplyTimeout = 10 * time.Second

func nftConn(nsfd int) *nftables.Conn {
	// Only a lasting connection can fail to be made.
	c, _ := nftables.New(nftables.WithNetNSFd(nsfd), nftables.WithSockOptions(func(nc *netlink.Conn) error {
		return nc.SetDeadline(time.Now().Add(nftReplyTimeout))
	}))
	return c
}

// newFaultTable makes a table of the family in the namespace nsfd refers
// to, with what fill adds to it, in one transaction. It keeps a reference
// of its own to the namespace until delete.
func newFaultTable(nsfd int, family nftables.TableFamily, fill func(c *nftables.Conn, t *nftables.Table)) (*faultTable, error) {
	own, err := nsops.Dup(nsfd)
	if err != nil {
		return nil, err
	}
	ft := &faultTable{nsfd: own, table: &nftables.Table{Name: firewall.TablePrefix + "fault-" + randomSuffix(), Family: family}}
	c := nftConn(own)
	c.AddTable(ft.table)
	fill(c, ft.table)
	if err := c.Flush(); err != nil {
		unix.Close(own)
		return nil, fmt.Errorf("cannot make nftables table %q in %s, reason: %w", ft.table.Name, nsops.Describe(nsfd), err)
	}
	return ft, nil
}

// delete deletes the table if it is still there and lets go of the
// namespace.
func (ft *faultTable) delete() error {
	defer unix.Close(ft.nsfd)
	c := nftConn(ft.nsfd)
	c.DelTable(ft.table)
	if err := c.Flush(); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("cannot delete nftables table %q in %s, reason: %w", ft.table.Name, nsops.Describe(ft.nsfd), err)
	}
	return nil
}

// dropAll returns the expressions of a rule that drops every packet.
func dropAll() []expr.Any { return []expr.Any{&expr.Verdict{Kind: expr.VerdictDrop}} }

func randomSuffix() string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = chars[int(b[i])%len(chars)]
	}
	return string(b)
}
