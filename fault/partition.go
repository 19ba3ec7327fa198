package fault

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/firewall"
	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/lab"
)

// A cut is a partition, one-way or not: each receiving host drops what the
// hosts it is cut from send it.
type cut struct {
	name string
	// from says, for each receiving host, whose packets it drops.
	from map[*lab.Host][]*lab.Host
	// order is the receiving hosts, in the order the fault names them.
	order []*lab.Host

	mu     sync.Mutex
	tables []*faultTable
}

// Partition cuts all traffic between the groups of hosts, in both
// directions, while every link stays up: packets of any protocol from a
// host of one group to a host of another vanish, as in a broken fabric,
// whether they go over a wire, a segment or through routers. Traffic within
// a group is left alone, and so is traffic that hosts of a group only route.
//
// Each host of a group gets an nftables table of the fault's own (made by
// [firewall.Make]) that drops what arrives for it from the addresses of the
// hosts of the other groups: all their global IPv4 and IPv6 addresses, as
// the kernel lists them when the fault is applied. Connections keep their
// state; a sender retransmits into the void until the heal or its timeout.
func Partition(groups ...[]*lab.Host) Fault {
	c := &cut{name: "partition " + groupNames(groups, " | "), from: map[*lab.Host][]*lab.Host{}}
	for n, g := range groups {
		for _, h := range g {
			c.order = append(c.order, h)
			for m, other := range groups {
				if m != n {
					c.from[h] = append(c.from[h], other...)
				}
			}
		}
	}
	return c
}

// OneWay cuts the traffic from the hosts of from to the hosts of to, and
// only that way: what the hosts of to send still arrives (an asymmetric
// partition). A TCP connection across it cannot be opened from either side,
// since one of its directions is cut.
func OneWay(from, to []*lab.Host) Fault {
	c := &cut{name: "one-way partition " + groupNames([][]*lab.Host{from, to}, " -> "), from: map[*lab.Host][]*lab.Host{}}
	for _, h := range to {
		c.order = append(c.order, h)
		c.from[h] = append(c.from[h], from...)
	}
	return c
}

// Isolate cuts host h from the other hosts of the lab, as they are when
// Isolate is called, in both directions: a [Partition] between h and the
// rest.
func Isolate(l *lab.Lab, h *lab.Host) Fault {
	var rest []*lab.Host
	for _, o := range l.Hosts() {
		if o != h {
			rest = append(rest, o)
		}
	}
	c := Partition([]*lab.Host{h}, rest).(*cut)
	c.name = "isolate " + h.Name
	return c
}

func groupNames(groups [][]*lab.Host, sep string) string {
	parts := make([]string, 0, len(groups))
	for _, g := range groups {
		names := make([]string, 0, len(g))
		for _, h := range g {
			names = append(names, h.Name)
		}
		parts = append(parts, "{"+strings.Join(names, " ")+"}")
	}
	return strings.Join(parts, sep)
}

func (c *cut) String() string { return c.name }

// Apply adds the fault's table to each receiving host, all hosts at once.
// A host cut from no address gets none.
func (c *cut) Apply() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.tables) > 0 {
		return fmt.Errorf("cannot apply %s, reason: it is applied already", c.name)
	}
	addrs := map[*lab.Host][]netip.Addr{}
	for _, senders := range c.from {
		for _, s := range senders {
			if _, ok := addrs[s]; ok {
				continue
			}
			a, err := globalAddrs(s.Netns())
			if err != nil {
				return fmt.Errorf("cannot apply %s, reason: cannot list the addresses of host %q: %w", c.name, s.Name, err)
			}
			addrs[s] = a
		}
	}
	var jobs []tableJob
	var hosts []*lab.Host
	for _, h := range c.order {
		var drop []firewall.Rule
		for _, s := range c.from[h] {
			for _, a := range addrs[s] {
				drop = append(drop, firewall.Drop(firewall.From(a.String())).OnlyArriving())
			}
		}
		if len(drop) == 0 {
			continue
		}
		hosts = append(hosts, h)
		jobs = append(jobs, tableJob{nsfd: h.Netns(), make: func(nsfd int) (string, error) { return firewall.Make(nsfd, drop...) }})
	}
	tables, failed, err := makeTables(jobs)
	if err != nil {
		return fmt.Errorf("cannot apply %s to host %q, reason: %w", c.name, hosts[failed].Name, err)
	}
	c.tables = tables
	return nil
}

// Heal deletes the fault's tables.
func (c *cut) Heal() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.healLocked(); err != nil {
		return fmt.Errorf("cannot heal %s, reason: %w", c.name, err)
	}
	return nil
}

func (c *cut) healLocked() error {
	err := deleteTables(c.tables)
	c.tables = nil
	return err
}

// globalAddrs lists the addresses of global scope in the namespace, IPv4
// and IPv6.
func globalAddrs(nsfd int) ([]netip.Addr, error) {
	h, err := nsops.RouteHandleAt(nsfd)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	all, err := nsops.RetryDump(func() ([]netlink.Addr, error) { return h.AddrList(nil, netlink.FAMILY_ALL) })
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, a := range all {
		if a.Scope != unix.RT_SCOPE_UNIVERSE {
			continue
		}
		if ip, ok := netip.AddrFromSlice(a.IP); ok {
			out = append(out, ip.Unmap())
		}
	}
	return out, nil
}
