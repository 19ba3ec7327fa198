package lab

import (
	"fmt"
	"net/netip"

	"github.com/scratchnet/scratchnet/reach"
)

// Everything of package reach, so that a lab spec needs no second import:
// the matchers and options, from a host, to a host, an interface or an
// address, and [Try] with its results for a spec that looks at the outcome
// itself. reach's Opt is ReachOpt here, since lab has an Opt of its own. A
// spec of package reach fails when reach exports a name that is missing
// here.
//
//	Expect(alice).To(lab.Reach(bob))
//	Expect(alice).NotTo(lab.Reach(bob, lab.TCP(53)))
//	res, err := lab.Try(alice, bob, lab.TCP(82)) // res[0].Outcome == lab.Refused
var (
	Reach   = reach.Reach
	Try     = reach.Try
	ICMP    = reach.ICMP
	TCP     = reach.TCP
	UDP     = reach.UDP
	IPv4    = reach.IPv4
	IPv6    = reach.IPv6
	Within  = reach.Within
	Payload = reach.Payload
)

// The types of package reach: see there.
type (
	// ReachOpt is [reach.Opt]: says how to try to reach an address.
	ReachOpt = reach.Opt
	// Outcome is [reach.Outcome]: what became of one attempt.
	Outcome = reach.Outcome
	// Result is [reach.Result]: one attempt from a namespace to one
	// address, as [Try] returns them.
	Result = reach.Result
	// Namespaced is [reach.Namespaced]: a source or target in a network
	// namespace, such as a [Host].
	Namespaced = reach.Namespaced
	// Target is [reach.Target]: a destination with addresses of its own,
	// such as a [Host] or an [Iface].
	Target = reach.Target
)

// The outcomes of an attempt, and the bound of each attempt without
// [Within], from package reach.
const (
	Reached        = reach.Reached
	TimedOut       = reach.TimedOut
	Refused        = reach.Refused
	NoRoute        = reach.NoRoute
	Unreachable    = reach.Unreachable
	DefaultTimeout = reach.DefaultTimeout
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
