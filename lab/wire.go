package lab

import (
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/internal/optname"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/veth"
)

// Opt configures the addresses of a wire, segment or segment member, and
// what its links are like (MTU, impairment, ...).
type Opt func(*addressing) error

// addressing is how the ends of a wire or the members of a segment get
// their addresses: from a subnet per family, host numbers counting up from
// 1, or from explicit lists.
type addressing struct {
	v4, v6   netip.Prefix
	explicit map[bool][]netip.Prefix // by "is IPv6"
	next     int
	// links says what the options ask of the links, besides addresses.
	links linkOpts
}

// Subnet gives the wire or segment this subnet instead of the automatic one
// of the same address family; hosts get its addresses 1, 2, ... in the order
// they are attached.
func Subnet(cidr string) Opt {
	return func(a *addressing) error {
		p, err := netip.ParsePrefix(cidr)
		if err != nil {
			return fmt.Errorf("Subnet: %q is not a prefix such as 192.168.7.0/24", cidr)
		}
		p = p.Masked()
		if p.Addr().Is4() {
			a.v4 = p
		} else {
			a.v6 = p
		}
		return nil
	}
}

// Addrs gives the ends of a wire explicit addresses in CIDR notation, the
// first to the first host given to [Lab.Connect], the second to the second.
// Give two per address family; a family without Addrs is numbered
// automatically.
func Addrs(cidrs ...string) Opt {
	return func(a *addressing) error {
		for _, c := range cidrs {
			p, err := netip.ParsePrefix(c)
			if err != nil {
				return fmt.Errorf("Addrs: %q is not an address such as 10.0.0.1/24", c)
			}
			a.explicit[p.Addr().Is6()] = append(a.explicit[p.Addr().Is6()], p)
		}
		return nil
	}
}

func (l *Lab) newAddressing(what string, opts []Opt) *addressing {
	l.t.Helper()
	a := &addressing{explicit: map[bool][]netip.Prefix{}}
	a.v4, a.v6 = l.nextSubnets()
	for i, opt := range opts {
		if err := opt(a); err != nil {
			l.t.Fatalf("cannot configure addresses of %s, reason: %v", what, optname.Wrap(opt, i, err))
		}
	}
	return a
}

// take hands out the addresses of the next member.
func (a *addressing) take() (v4, v6 netip.Prefix, err error) {
	n := a.next
	a.next++
	if a.links.noAddrs {
		return
	}
	pick := func(subnet netip.Prefix, v6 bool) (netip.Prefix, error) {
		if list := a.explicit[v6]; len(list) > 0 {
			if n >= len(list) {
				return netip.Prefix{}, fmt.Errorf("only %d explicit addresses given for member %d", len(list), n+1)
			}
			return list[n], nil
		}
		addr := subnet.Addr()
		for range n + 1 {
			addr = addr.Next()
		}
		if !subnet.Contains(addr) {
			return netip.Prefix{}, fmt.Errorf("subnet %s has no address for member %d", subnet, n+1)
		}
		return netip.PrefixFrom(addr, subnet.Bits()), nil
	}
	if v4, err = pick(a.v4, false); err != nil {
		return
	}
	v6, err = pick(a.v6, true)
	return
}

// Connect joins hosts a and b with a point-to-point veth pair, both ends up
// and addressed, and returns a's end and b's end. In a, the interface is
// named after b, and in b after a.
func (l *Lab) Connect(a, b *Host, opts ...Opt) (*Iface, *Iface) {
	l.t.Helper()
	what := fmt.Sprintf("wire %s–%s", a.Name, b.Name)
	if a == b || a.lab != l || b.lab != l {
		l.t.Fatalf("cannot connect %s, reason: need two different hosts of this lab", what)
	}
	addrs := l.newAddressing(what, opts)
	a4, a6, err := addrs.take()
	var b4, b6 netip.Prefix
	if err == nil {
		b4, b6, err = addrs.take()
	}
	if err != nil {
		l.t.Fatalf("cannot connect %s, reason: %v", what, err)
	}
	tmpl := &netlink.Veth{
		LinkAttrs: netlink.LinkAttrs{Name: a.uniqueName(b.Name)},
		PeerName:  b.uniqueName(a.Name),
	}
	if err := addrs.links.template(tmpl, what); err != nil {
		l.t.Fatalf("cannot connect %s, reason: %v", what, err)
	}
	lopts := []link.Opt{link.WithLinkNamespace(a.netns), veth.WithPeerNamespace(b.netns), link.GoesWithNamespace()}
	lopts = append(lopts, withAddrs(link.WithAddress, a4, a6)...)
	lopts = append(lopts, withAddrs(veth.WithPeerAddress, b4, b6)...)
	ea, eb := link.NewTransientPairT(l.t, tmpl, "lab-", append(lopts, link.WithUp(), veth.WithPeerUp())...)
	ia := &Iface{Host: a, Link: ea, IPv4: a4, IPv6: a6}
	ib := &Iface{Host: b, Link: eb, IPv4: b4, IPv6: b6}
	ia.peer, ib.peer = ib, ia
	l.mu.Lock()
	l.wires = append(l.wires, wire{a: ia, b: ib})
	l.mu.Unlock()
	a.addIface(ia)
	b.addIface(ib)
	addrs.links.impairWire(ia, ib)
	return ia, ib
}
