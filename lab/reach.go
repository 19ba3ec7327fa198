package lab

import (
	"fmt"
	"net/netip"

	"github.com/scratchnet/scratchnet/reach"
)

// Reachability matchers, from package reach: from a host, to a host, an
// interface or an address.
//
//	Expect(alice).To(lab.Reach(bob))
//	Expect(alice).NotTo(lab.Reach(bob, lab.TCP(53)))
var (
	Reach   = reach.Reach
	ICMP    = reach.ICMP
	TCP     = reach.TCP
	UDP     = reach.UDP
	IPv4    = reach.IPv4
	IPv6    = reach.IPv6
	Within  = reach.Within
	Payload = reach.Payload
)

// TargetAddrs returns the addresses the lab gave the host's interfaces, so
// that reachability matchers can aim at the host.
func (h *Host) TargetAddrs() []netip.Addr {
	var out []netip.Addr
	for _, i := range h.Ifaces() {
		out = append(out, i.TargetAddrs()...)
	}
	return out
}

// TargetAddrs returns the addresses the lab gave the interface.
func (i *Iface) TargetAddrs() []netip.Addr {
	var out []netip.Addr
	for _, p := range []netip.Prefix{i.IPv4, i.IPv6} {
		if p.IsValid() {
			out = append(out, p.Addr())
		}
	}
	return out
}

// Netns returns an fd referring to the namespace of the interface's host;
// see [Host.Netns].
func (i *Iface) Netns() int { return i.Host.netns }

// String names the interface for messages, as "interface bob of host
// alice".
func (i *Iface) String() string { return fmt.Sprintf("interface %s of host %s", i.Name(), i.Host.Name) }
