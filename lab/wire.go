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
	// members is what Members asked the automatic subnet to hold, or 0.
	members int
	// auto says the subnets are the automatic ones, which an empty
	// segment may resize.
	auto bool
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

// Members sizes a segment's automatic IPv4 subnet for n members: up to 254
// it is the usual /24, beyond that the smallest prefix that holds n (a /23
// for 300, up to a /16 for 65534), taken from the same 10.0.0.0/8 range so
// that it overlaps no other automatic subnet. A segment without Members
// (or [Subnet]) holds 254 members, unless its first [Segment.Attach] brings
// more, which sizes it as Members would; it refuses a 255th member that
// comes later, naming Members. The IPv6 subnet is a /64 either way.
func Members(n int) Opt {
	return func(a *addressing) error {
		if n < 1 || n > maxMembers {
			return fmt.Errorf("Members(%d): a segment's automatic subnet holds 1 to %d members", n, maxMembers)
		}
		a.members = n
		return nil
	}
}

// maxMembers is what the largest automatic subnet, a /16, holds.
const maxMembers = 1<<16 - 2

func (l *Lab) newAddressing(what string, opts []Opt) *addressing {
	l.t.Helper()
	a := &addressing{explicit: map[bool][]netip.Prefix{}}
	for i, opt := range opts {
		if err := opt(a); err != nil {
			l.t.Fatalf("cannot configure addresses of %s, reason: %v", what, optname.Wrap(opt, i, err))
		}
	}
	// Every wire and segment takes an automatic subnet pair, whether or not
	// Subnet replaces it, so that adding Subnet to one wire does not
	// renumber the others.
	v4, v6 := l.nextSubnets(a.members)
	a.auto = !a.v4.IsValid() && !a.v6.IsValid()
	if !a.v4.IsValid() {
		a.v4 = v4
	}
	if !a.v6.IsValid() {
		a.v6 = v6
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
		if !subnet.Contains(addr) || isBroadcast(addr, subnet) {
			return netip.Prefix{}, fmt.Errorf("subnet %s has no address for member %d (lab.Members sizes a segment's automatic subnet, lab.Subnet chooses one)", subnet, n+1)
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
	if addrs.members > 0 {
		l.t.Fatalf("cannot connect %s, reason: Members applies to segments; a wire has two ends", what)
	}
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

// isBroadcast reports whether addr is the broadcast address of an IPv4
// subnet that has one (a /31 or /32 has none): a member given it could not
// be reached by unicast.
func isBroadcast(addr netip.Addr, subnet netip.Prefix) bool {
	if !addr.Is4() || subnet.Bits() > 30 {
		return false
	}
	b := subnet.Masked().Addr().As4()
	host := uint32(1)<<(32-subnet.Bits()) - 1
	v := (uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])) | host
	return addr == netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
