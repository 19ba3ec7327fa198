package lab

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/impair"
	"github.com/scratchnet/scratchnet/link"
)

// linkOpts is what a wire's, segment's or member's options ask of its links
// besides addresses.
type linkOpts struct {
	mtu, txqlen int
	macs        []string
	noAddrs     bool
	// impairBoth impairs both directions; impairFrom what a host sends.
	impairBoth []impair.Opt
	impairFrom map[*Host][]impair.Opt
}

// WithMTU gives the links of a wire (both ends), of a segment (every port and
// member interface) or of one segment member this MTU, at creation.
func WithMTU(mtu int) Opt {
	return func(a *addressing) error {
		if mtu < 68 || mtu > 65535 {
			return fmt.Errorf("WithMTU(%d): an Ethernet MTU is between 68 and 65535", mtu)
		}
		a.links.mtu = mtu
		return nil
	}
}

// WithTxQLen gives the links of a wire, segment or segment member this
// transmit queue length (txqueuelen), at creation.
func WithTxQLen(qlen int) Opt {
	return func(a *addressing) error {
		if qlen < 0 {
			return fmt.Errorf("WithTxQLen(%d): a queue length cannot be negative", qlen)
		}
		a.links.txqlen = qlen
		return nil
	}
}

// WithHardwareAddrs gives a wire's ends these hardware addresses, the first
// to the first host given to [Lab.Connect] and the second to the second; for
// [Segment.AttachWith], give one: the member's.
func WithHardwareAddrs(macs ...string) Opt {
	return func(a *addressing) error {
		for _, m := range macs {
			if _, err := net.ParseMAC(m); err != nil {
				return fmt.Errorf("WithHardwareAddrs(%q): %w", m, err)
			}
		}
		a.links.macs = macs
		return nil
	}
}

// NoAddrs leaves a wire's ends, a segment's members, or one segment member
// without addresses (IPv6 link-local ones aside), for DHCP and SLAAC tests:
// the interfaces are up, and the code under test configures them.
func NoAddrs() Opt {
	return func(a *addressing) error {
		a.links.noAddrs = true
		return nil
	}
}

// Impair impairs both directions of a wire or of one segment member (see
// package impair): each end's egress gets the impairment. [Iface.Impair]
// changes it mid-spec.
func Impair(opts ...impair.Opt) Opt {
	return func(a *addressing) error {
		if len(opts) == 0 {
			return errors.New("Impair(): no impairment given")
		}
		a.links.impairBoth = opts
		return nil
	}
}

// ImpairFrom impairs only what host h sends over the wire (the egress of
// h's end); the other direction stays clean unless another ImpairFrom names
// the other host.
func ImpairFrom(h *Host, opts ...impair.Opt) Opt {
	return func(a *addressing) error {
		if h == nil || len(opts) == 0 {
			return errors.New("ImpairFrom(host, impairments...): need a host and at least one impairment")
		}
		if a.links.impairFrom == nil {
			a.links.impairFrom = map[*Host][]impair.Opt{}
		}
		a.links.impairFrom[h] = opts
		return nil
	}
}

// template applies the link attributes to a veth template of a wire or
// segment port, whose peer is the second end.
func (o linkOpts) template(v *netlink.Veth, what string) error {
	if o.mtu > 0 {
		v.MTU = o.mtu
	}
	if o.txqlen > 0 {
		v.TxQLen = o.txqlen
	}
	if len(o.macs) > 2 {
		return fmt.Errorf("%d hardware addresses given for the two ends of %s", len(o.macs), what)
	}
	for n, m := range o.macs {
		hw, _ := net.ParseMAC(m)
		if n == 0 {
			v.HardwareAddr = hw
		} else {
			v.PeerHardwareAddr = hw
		}
	}
	return nil
}

// withAddrs returns the address options for the valid prefixes.
func withAddrs(with func(string) link.Opt, prefixes ...netip.Prefix) []link.Opt {
	var opts []link.Opt
	for _, p := range prefixes {
		if p.IsValid() {
			opts = append(opts, with(p.String()))
		}
	}
	return opts
}

// impairWire impairs the ends of a new wire as the options ask.
func (o linkOpts) impairWire(ends ...*Iface) {
	for _, end := range ends {
		if o.impairBoth != nil {
			end.Impair(o.impairBoth...)
		}
		if opts, ok := o.impairFrom[end.Host]; ok {
			end.Impair(opts...)
		}
	}
}

// impairMember impairs a new segment member's interface and, for both
// directions, its bridge port.
func (o linkOpts) impairMember(i *Iface, port netlink.Link) {
	if o.impairBoth != nil {
		i.Impair(o.impairBoth...)
		impair.LinkT(i.Host.lab.t, port, o.impairBoth...)
	}
	if opts, ok := o.impairFrom[i.Host]; ok {
		i.Impair(opts...)
	}
}

// forMember applies one member's options to the addresses and link options
// the segment would give it.
func (a *addressing) forMember(v4, v6 netip.Prefix, links linkOpts) (netip.Prefix, netip.Prefix, linkOpts, error) {
	if a.v4.IsValid() || a.v6.IsValid() {
		return v4, v6, links, errors.New("Subnet applies to whole segments and wires, not to one member")
	}
	if a.members > 0 {
		return v4, v6, links, errors.New("Members applies to whole segments, not to one member")
	}
	if len(a.links.macs) > 1 {
		return v4, v6, links, errors.New("a member has one hardware address")
	}
	if a.links.noAddrs {
		v4, v6 = netip.Prefix{}, netip.Prefix{}
	}
	for _, p := range a.explicit[false] {
		v4 = p
	}
	for _, p := range a.explicit[true] {
		v6 = p
	}
	if len(a.explicit[false]) > 1 || len(a.explicit[true]) > 1 {
		return v4, v6, links, errors.New("a member takes one address per family")
	}
	if a.links.mtu > 0 {
		links.mtu = a.links.mtu
	}
	if a.links.txqlen > 0 {
		links.txqlen = a.links.txqlen
	}
	links.macs = nil
	if len(a.links.macs) == 1 {
		// The member's interface is the second end, the veth peer.
		links.macs = []string{"", a.links.macs[0]}
	}
	links.impairBoth, links.impairFrom = a.links.impairBoth, a.links.impairFrom
	return v4, v6, links, nil
}

// AttachWith plugs one host into the segment with options of its own and
// returns its new interface, up: [Addrs] (one per family) chooses its
// addresses, [NoAddrs] leaves it without, [WithMTU], [WithTxQLen] and
// [WithHardwareAddrs] (one) set its link, [Impair] and [ImpairFrom] impair it.
// Addresses the member does not choose come from the segment, as for
// [Segment.Attach].
func (s *Segment) AttachWith(h *Host, opts ...Opt) *Iface {
	s.lab.t.Helper()
	member := &addressing{explicit: map[bool][]netip.Prefix{}}
	for n, opt := range opts {
		if opt == nil {
			s.lab.t.Fatalf("cannot attach host %q to segment %q, reason: option %d is nil", h.Name, s.Name, n+1)
		}
		if err := opt(member); err != nil {
			s.lab.t.Fatalf("cannot attach host %q to segment %q, reason: option %d failed: %v", h.Name, s.Name, n+1, err)
		}
	}
	return s.attach(h, member)
}
