package firewall

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// Match selects packets for a rule: a transport port ([TCP], [UDP]), a
// source or destination prefix ([From], [To]), or an interface ([InIface]).
// A rule's matches must all hold.
type Match struct {
	desc  string
	proto byte // IPPROTO_TCP or IPPROTO_UDP for port matches, else 0
	exprs func() []expr.Any
	err   error
}

// TCP matches TCP packets to this destination port.
func TCP(port uint16) Match { return portMatch("tcp", unix.IPPROTO_TCP, port) }

// UDP matches UDP datagrams to this destination port.
func UDP(port uint16) Match { return portMatch("udp", unix.IPPROTO_UDP, port) }

func portMatch(name string, proto byte, port uint16) Match {
	m := Match{desc: fmt.Sprintf("%s dport %d", name, port), proto: proto}
	if port == 0 {
		m.err = fmt.Errorf("%s port 0 matches nothing", name)
	}
	m.exprs = func() []expr.Any {
		return []expr.Any{
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: be16(port)},
		}
	}
	return m
}

// TCPSourcePort matches TCP packets from this source port: a server's
// packets on its listening port, or those of a client's connections to a
// server of that port when the client's replies come back.
func TCPSourcePort(port uint16) Match {
	m := Match{desc: fmt.Sprintf("tcp sport %d", port), proto: unix.IPPROTO_TCP}
	if port == 0 {
		m.err = fmt.Errorf("tcp port 0 matches nothing")
	}
	m.exprs = func() []expr.Any {
		return []expr.Any{
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_TCP}},
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 0, Len: 2},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: be16(port)},
		}
	}
	return m
}

// AnyTCP matches every TCP packet, of any port.
func AnyTCP() Match {
	return Match{desc: "meta l4proto tcp", proto: unix.IPPROTO_TCP, exprs: func() []expr.Any {
		return []expr.Any{
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_TCP}},
		}
	}}
}

// ConnBytesOver matches the packets of connections that have carried more
// than n bytes, both directions together, as connection tracking counts
// them: whole IP packets, headers included, from when the connection was
// first tracked. The kernel counts only for connections tracked after it
// first loaded such a rule in the namespace, and from then on for all new
// ones: the rule turns on the namespace's sysctl
// net.netfilter.nf_conntrack_acct, which stays on after the rule is gone.
func ConnBytesOver(n uint64) Match {
	return Match{desc: fmt.Sprintf("ct bytes > %d", n), exprs: func() []expr.Any {
		return []expr.Any{
			&expr.Ct{Key: expr.CtKeyBYTES, Register: 1},
			&expr.Byteorder{SourceRegister: 1, DestRegister: 1, Op: expr.ByteorderHton, Len: 8, Size: 8},
			&expr.Cmp{Op: expr.CmpOpGt, Register: 1, Data: binary.BigEndian.AppendUint64(nil, n)},
		}
	}}
}

// From matches packets from a source address or prefix, such as "10.0.1.2"
// or "10.0.1.0/24" or "fd00::/64".
func From(cidr string) Match { return addrMatch("From", "saddr", cidr, 12, 8) }

// To matches packets to a destination address or prefix.
func To(cidr string) Match { return addrMatch("To", "daddr", cidr, 16, 24) }

func addrMatch(name, field, cidr string, off4, off6 uint32) Match {
	p, err := parsePrefix(cidr)
	if err != nil {
		return Match{err: fmt.Errorf("%s(%q): %w", name, cidr, err)}
	}
	fam, off, family := byte(unix.NFPROTO_IPV4), off4, "ip"
	if p.Addr().Is6() {
		fam, off, family = unix.NFPROTO_IPV6, off6, "ip6"
	}
	size := uint32(p.Addr().BitLen() / 8)
	mask := net.CIDRMask(p.Bits(), p.Addr().BitLen())
	return Match{
		desc: fmt.Sprintf("%s %s %s", family, field, p),
		exprs: func() []expr.Any {
			return append(nfproto(fam),
				&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: size},
				&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: size, Mask: mask, Xor: make([]byte, size)},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: p.Masked().Addr().AsSlice()},
			)
		},
	}
}

// InIface matches packets that arrived through the interface of this name.
func InIface(name string) Match {
	m := Match{desc: fmt.Sprintf("iifname %q", name), exprs: func() []expr.Any { return ifname(expr.MetaKeyIIFNAME, name) }}
	if name == "" || len(name) >= unix.IFNAMSIZ {
		m.err = fmt.Errorf("InIface(%q): not an interface name", name)
	}
	return m
}

func parsePrefix(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()), nil
}

func nfproto(fam byte) []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{fam}},
	}
}

func ifname(key expr.MetaKey, name string) []expr.Any {
	data := make([]byte, unix.IFNAMSIZ)
	copy(data, name)
	return []expr.Any{
		&expr.Meta{Key: key, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: data},
	}
}

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

// Rule is one rule of a [Table]: what it matches and what it does.
type Rule struct {
	desc   string
	chains []chainKind
	exprs  func() ([]expr.Any, error)
	// masqOut names the interface a Masquerade rule applies to.
	masqOut string
	// rewrites marks a rule that rewrites packets (see Rewrite).
	rewrites bool
}

// String describes the rule, much as nft lists it.
func (r Rule) String() string { return r.desc }

// chainKind names the base chains of a table, made when a rule needs one.
type chainKind int

const (
	chainPrerouting chainKind = iota
	chainPostrouting
	chainInput
	chainForward
	chainOutput
)

func (k chainKind) chain(t *nftables.Table) *nftables.Chain {
	accept := nftables.ChainPolicyAccept
	switch k {
	case chainPrerouting:
		return &nftables.Chain{Name: "prerouting", Table: t, Type: nftables.ChainTypeNAT,
			Hooknum: nftables.ChainHookPrerouting, Priority: nftables.ChainPriorityNATDest}
	case chainPostrouting:
		return &nftables.Chain{Name: "postrouting", Table: t, Type: nftables.ChainTypeNAT,
			Hooknum: nftables.ChainHookPostrouting, Priority: nftables.ChainPriorityNATSource}
	case chainInput:
		return &nftables.Chain{Name: "input", Table: t, Type: nftables.ChainTypeFilter,
			Hooknum: nftables.ChainHookInput, Priority: nftables.ChainPriorityFilter, Policy: &accept}
	case chainOutput:
		return &nftables.Chain{Name: "output", Table: t, Type: nftables.ChainTypeFilter,
			Hooknum: nftables.ChainHookOutput, Priority: nftables.ChainPriorityFilter, Policy: &accept}
	default:
		return &nftables.Chain{Name: "forward", Table: t, Type: nftables.ChainTypeFilter,
			Hooknum: nftables.ChainHookForward, Priority: nftables.ChainPriorityFilter, Policy: &accept}
	}
}

// Masquerade rewrites the source address of packets leaving through the
// interface out to that interface's address (source NAT), as a home router
// does towards its uplink; replies are translated back.
func Masquerade(out string) Rule {
	return Rule{
		desc:    fmt.Sprintf("oifname %q masquerade", out),
		chains:  []chainKind{chainPostrouting},
		masqOut: out,
		exprs: func() ([]expr.Any, error) {
			if out == "" || len(out) >= unix.IFNAMSIZ {
				return nil, fmt.Errorf("Masquerade(%q): not an interface name", out)
			}
			return append(ifname(expr.MetaKeyOIFNAME, out), &expr.Masq{}), nil
		},
	}
}

// SNAT rewrites the source address of packets leaving through the interface
// out to the address to (source NAT to a fixed address).
func SNAT(out, to string) Rule {
	return Rule{
		desc:   fmt.Sprintf("oifname %q snat to %s", out, to),
		chains: []chainKind{chainPostrouting},
		exprs: func() ([]expr.Any, error) {
			a, err := netip.ParseAddr(to)
			if err != nil || out == "" || len(out) >= unix.IFNAMSIZ {
				return nil, fmt.Errorf("SNAT(%q, %q): need an interface name and an address", out, to)
			}
			a = a.Unmap()
			fam := byte(unix.NFPROTO_IPV4)
			if a.Is6() {
				fam = unix.NFPROTO_IPV6
			}
			ex := append(nfproto(fam), ifname(expr.MetaKeyOIFNAME, out)...)
			return append(ex,
				&expr.Immediate{Register: 1, Data: a.AsSlice()},
				&expr.NAT{Type: expr.NATTypeSourceNAT, Family: uint32(fam), RegAddrMin: 1}), nil
		},
	}
}

// PortForward rewrites the destination of arriving packets that match port
// (a [TCP] or [UDP] match, optionally with more matches) to the address and
// port to, such as "10.0.1.2:80" or "[fd00::2]:80" (destination NAT): a
// forwarded port on a NAT router that reaches an inner server. It applies to
// packets arriving from other namespaces, not to the namespace's own
// connections to itself.
func PortForward(port Match, to string, more ...Match) Rule {
	return Rule{
		desc:   fmt.Sprintf("%s dnat to %s", describe(append([]Match{port}, more...)), to),
		chains: []chainKind{chainPrerouting},
		exprs: func() ([]expr.Any, error) {
			if port.proto == 0 {
				return nil, fmt.Errorf("PortForward: the first match must be TCP(port) or UDP(port), not %q", port.desc)
			}
			ap, err := netip.ParseAddrPort(to)
			if err != nil {
				return nil, fmt.Errorf("PortForward: %q is not an address and port such as 10.0.1.2:80", to)
			}
			a := ap.Addr().Unmap()
			fam := byte(unix.NFPROTO_IPV4)
			if a.Is6() {
				fam = unix.NFPROTO_IPV6
			}
			ex, err := matchExprs(append([]Match{port}, more...))
			if err != nil {
				return nil, err
			}
			ex = append(nfproto(fam), ex...)
			return append(ex,
				&expr.Immediate{Register: 1, Data: a.AsSlice()},
				&expr.Immediate{Register: 2, Data: be16(ap.Port())},
				&expr.NAT{Type: expr.NATTypeDestNAT, Family: uint32(fam), RegAddrMin: 1, RegProtoMin: 2, Specified: true}), nil
		},
	}
}

// Drop silently drops packets that match, arriving for this namespace or
// routed through it: a sender's connection attempts time out.
func Drop(matches ...Match) Rule {
	return filterRule("drop", matches, func() []expr.Any {
		return []expr.Any{&expr.Verdict{Kind: expr.VerdictDrop}}
	})
}

// Reject refuses packets that match, arriving for this namespace or routed
// through it: a TCP sender gets a reset and its connect fails at once with
// "connection refused"; others get an ICMP port unreachable.
func Reject(matches ...Match) Rule {
	tcp := false
	for _, m := range matches {
		tcp = tcp || m.proto == unix.IPPROTO_TCP
	}
	verb := "reject"
	if tcp {
		verb = "reject with tcp reset"
	}
	return filterRule(verb, matches, func() []expr.Any {
		if tcp {
			return []expr.Any{&expr.Reject{Type: unix.NFT_REJECT_TCP_RST}}
		}
		return []expr.Any{&expr.Reject{Type: unix.NFT_REJECT_ICMPX_UNREACH, Code: unix.NFT_REJECT_ICMPX_PORT_UNREACH}}
	})
}

// CutMark is the bit of the connection tracking mark that a [Cut] sets on
// the connections it cuts. Their entries keep it until they expire.
const CutMark = 0x40000000

// Cut returns the rules that cut the TCP connections whose packets match,
// at both ends, with TCP resets: a connection's first matching packet is
// turned into a reset to its destination (and its connection tracking entry
// gets the [CutMark] bit), and every later one is refused with a reset to
// its sender, who retransmits what was not acknowledged. New connections
// are refused at their first SYN. Resets themselves pass. The rules apply
// where a [Reject] does; with [Rule.AlsoOutgoing], a cut packet that the
// namespace sends resets the peer, and the next one the namespace's own
// socket. Add them in the order returned. Turning a packet into a reset
// rewrites it, which needs [Rewrite] (see [SkipUnlessSupported]).
func Cut(matches ...Match) []Rule {
	desc := describe(matches)
	guard := func(ex []expr.Any, err error) ([]expr.Any, error) {
		if err != nil {
			return nil, err
		}
		ex = append(AnyTCP().exprs(), ex...)
		return append(ex, tcpFlags(tcpRST, 0)...), nil
	}
	rule := func(verb string, verdict func() []expr.Any) Rule {
		return Rule{
			desc:   strings.TrimSpace(desc + " " + verb),
			chains: []chainKind{chainInput, chainForward},
			exprs: func() ([]expr.Any, error) {
				ex, err := guard(matchExprs(matches))
				if err != nil {
					return nil, err
				}
				return append(ex, verdict()...), nil
			},
		}
	}
	reject := func() []expr.Any { return []expr.Any{&expr.Reject{Type: unix.NFT_REJECT_TCP_RST}} }
	mark := binary.NativeEndian.AppendUint32(nil, CutMark)
	return []Rule{
		rule("tcp flags & (syn|ack) == syn reject with tcp reset", func() []expr.Any {
			return append(tcpFlags(tcpSYN|tcpACK, tcpSYN), reject()...)
		}),
		rule(fmt.Sprintf("ct mark & 0x%x != 0 reject with tcp reset", CutMark), func() []expr.Any {
			return append([]expr.Any{
				&expr.Ct{Key: expr.CtKeyMARK, Register: 1},
				&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: mark, Xor: make([]byte, 4)},
				&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: make([]byte, 4)},
			}, reject()...)
		}),
		rewriting(rule(fmt.Sprintf("ct mark set ct mark | 0x%x tcp flags set rst|ack", CutMark), func() []expr.Any {
			return []expr.Any{
				&expr.Ct{Key: expr.CtKeyMARK, Register: 1},
				&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
					Mask: binary.NativeEndian.AppendUint32(nil, ^uint32(CutMark)), Xor: mark},
				&expr.Ct{Key: expr.CtKeyMARK, Register: 1, SourceRegister: true},
				// The flags share a 16-bit checksum word with the data
				// offset, which stays.
				&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 12, Len: 2},
				&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 2, Mask: []byte{0xff, 0}, Xor: []byte{0, tcpRST | tcpACK}},
				&expr.Payload{OperationType: expr.PayloadWrite, SourceRegister: 1, Base: expr.PayloadBaseTransportHeader,
					Offset: 12, Len: 2, CsumType: expr.CsumTypeInet, CsumOffset: 16},
			}
		})),
	}
}

// rewriting marks r as a rule that rewrites packets.
func rewriting(r Rule) Rule {
	r.rewrites = true
	return r
}

// TCP header flags.
const (
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpACK = 0x10
)

// tcpFlags matches TCP packets whose flags, masked with mask, are want.
func tcpFlags(mask, want byte) []expr.Any {
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 13, Len: 1},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 1, Mask: []byte{mask}, Xor: []byte{0}},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{want}},
	}
}

// ClampMSS lowers the maximum segment size that the TCP handshake packets
// that match announce to size bytes, where it is larger, arriving for this
// namespace or routed through it (and, with [Rule.AlsoOutgoing], sent by it):
// the connections they set up then carry segments of at most size bytes of
// data. Connections set up before keep their segment size.
func ClampMSS(size uint16, matches ...Match) Rule {
	r := filterRule(fmt.Sprintf("tcp flags syn tcp option maxseg size set %d", size), matches, func() []expr.Any {
		return append(tcpFlags(tcpSYN, tcpSYN),
			&expr.Immediate{Register: 1, Data: be16(size)},
			// The kernel only ever lowers a segment size this way.
			&expr.Exthdr{SourceRegister: 1, Op: expr.ExthdrOpTcpopt, Type: 2, Offset: 2, Len: 2})
	})
	exprs := r.exprs
	r.exprs = func() ([]expr.Any, error) {
		if size < 64 {
			return nil, fmt.Errorf("ClampMSS(%d): a segment size below 64 bytes is below what TCP stacks accept", size)
		}
		ex, err := exprs()
		if err != nil {
			return nil, err
		}
		// The syn flag is only there to check in a TCP packet.
		return append(AnyTCP().exprs(), ex...), nil
	}
	return r
}

func filterRule(verb string, matches []Match, verdict func() []expr.Any) Rule {
	return Rule{
		desc:   strings.TrimSpace(describe(matches) + " " + verb),
		chains: []chainKind{chainInput, chainForward},
		exprs: func() ([]expr.Any, error) {
			ex, err := matchExprs(matches)
			if err != nil {
				return nil, err
			}
			return append(ex, verdict()...), nil
		},
	}
}

func describe(matches []Match) string {
	parts := make([]string, 0, len(matches))
	for _, m := range matches {
		parts = append(parts, m.desc)
	}
	return strings.Join(parts, " ")
}

func matchExprs(matches []Match) ([]expr.Any, error) {
	var ex []expr.Any
	var proto byte
	for _, m := range matches {
		if m.err != nil {
			return nil, m.err
		}
		if m.exprs == nil {
			return nil, fmt.Errorf("a match is empty")
		}
		if m.proto != 0 {
			if proto != 0 && proto != m.proto {
				return nil, fmt.Errorf("matches TCP and UDP ports at once: no packet is both")
			}
			proto = m.proto
		}
		ex = append(ex, m.exprs()...)
	}
	return ex, nil
}
