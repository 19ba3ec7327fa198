package lab

import (
	"fmt"
	"net/netip"

	"github.com/scratchnet/scratchnet/firewall"
)

// Firewall adds nftables rules (see package firewall) to the host's own
// table, made on the first call, and returns the table. The rules go with
// the lab's namespaces.
//
//	bob.Firewall(firewall.Drop(firewall.TCP(81)), firewall.Reject(firewall.TCP(82)))
func (h *Host) Firewall(rules ...firewall.Rule) *firewall.Table {
	t := h.lab.t
	t.Helper()
	h.mu.Lock()
	fw := h.fw
	h.mu.Unlock()
	if fw == nil {
		fw = firewall.NewT(t, h.netns)
		h.mu.Lock()
		h.fw = fw
		h.mu.Unlock()
	}
	fw.Add(rules...)
	return fw
}

// NAT makes the host a NAT router towards out, one of its interfaces:
// packets it forwards out of there get the address of out as their source
// (masquerade), and replies find their way back. The host must forward
// packets, as a [Lab.Router] does.
func (h *Host) NAT(out *Iface) {
	h.lab.t.Helper()
	if out == nil || out.Host != h {
		h.lab.t.Fatalf("cannot make host %q a NAT router, reason: the outside interface must be one of its own", h.Name)
	}
	h.Firewall(firewall.Masquerade(out.Name()))
}

// PortForward forwards the host's port (a firewall.TCP or firewall.UDP
// match) to port toPort of the IPv4 address of interface to, of a host
// behind it (destination NAT). For IPv6, give firewall.PortForward to
// [Host.Firewall].
func (h *Host) PortForward(port firewall.Match, to *Iface, toPort uint16) {
	h.lab.t.Helper()
	if to == nil || !to.IPv4.IsValid() {
		h.lab.t.Fatalf("cannot forward a port of host %q, reason: the interface to forward to has no IPv4 address", h.Name)
	}
	h.Firewall(firewall.PortForward(port, netip.AddrPortFrom(to.IPv4.Addr(), toPort).String()))
}

// NATs lists the interfaces towards which the host masquerades, by name, in
// the order added: empty for a host that is no NAT router.
func (h *Host) NATs() []string {
	h.mu.Lock()
	fw := h.fw
	h.mu.Unlock()
	if fw == nil {
		return nil
	}
	return fw.Masquerades()
}

// FirewallRules describes the host's nftables rules made through the lab, in
// the order added, much as nft lists them.
func (h *Host) FirewallRules() []string {
	h.mu.Lock()
	fw := h.fw
	h.mu.Unlock()
	if fw == nil {
		return nil
	}
	return fw.Rules()
}

// String names the host for messages, as "host alice".
func (h *Host) String() string { return fmt.Sprintf("host %s", h.Name) }
