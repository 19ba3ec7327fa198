package lab

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// Route sends the host's traffic for dst (a prefix such as 10.0.2.0/24 or
// fd00:0:0:2::/64) to the gateway gw, an interface of a neighbouring host
// (typically a router) whose address of dst's family is used. The route goes
// with the lab.
func (h *Host) Route(dst string, gw *Iface) {
	h.lab.t.Helper()
	p, err := netip.ParsePrefix(dst)
	if err != nil {
		h.lab.t.Fatalf("cannot add route to %s on host %q, reason: not a prefix such as 10.0.2.0/24", dst, h.Name)
	}
	if err := h.addRoute(p.Masked(), gw); err != nil {
		h.lab.t.Fatalf("cannot add route to %s on host %q, reason: %v", dst, h.Name, err)
	}
}

// DefaultRoute sends all the host's traffic without a more specific route to
// the gateway gw, for each address family gw has an address of.
func (h *Host) DefaultRoute(gw *Iface) {
	h.lab.t.Helper()
	for _, p := range []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")} {
		if !gatewayOf(gw, p).IsValid() {
			continue
		}
		if err := h.addRoute(p, gw); err != nil {
			h.lab.t.Fatalf("cannot add default route on host %q, reason: %v", h.Name, err)
		}
	}
}

func gatewayOf(gw *Iface, dst netip.Prefix) netip.Addr {
	if gw == nil {
		return netip.Addr{}
	}
	if dst.Addr().Is4() {
		return gw.IPv4.Addr()
	}
	return gw.IPv6.Addr()
}

func (h *Host) addRoute(dst netip.Prefix, gw *Iface) error {
	if gw != nil && gw.Host == h {
		// The kernel would answer a bare "invalid argument".
		other := "an interface of another host on the same segment"
		if gw.peer != nil {
			other = fmt.Sprintf("the other end of the wire, %s of host %q", gw.peer.Name(), gw.peer.Host.Name)
		}
		return fmt.Errorf("the gateway %s is host %q's own interface; route via %s", gw.Name(), h.Name, other)
	}
	via := gatewayOf(gw, dst)
	if !via.IsValid() {
		return errors.New("the gateway interface has no address of the destination's family")
	}
	r := &netlink.Route{
		Dst: &net.IPNet{IP: net.IP(dst.Addr().AsSlice()), Mask: net.CIDRMask(dst.Bits(), dst.Addr().BitLen())},
		Gw:  net.IP(via.AsSlice()),
	}
	if err := h.Handle().RouteAdd(r); err != nil {
		return fmt.Errorf("via %s (%s of host %q): %w", via, gw.Name(), gw.Host.Name, err)
	}
	return nil
}

// setUp sets a link of the namespace nsfd refers to administratively up.
func setUp(nsfd int, l netlink.Link) error {
	h, err := nsops.RouteHandleAt(nsfd)
	if err != nil {
		return err
	}
	defer h.Close()
	return h.LinkSetUp(l)
}
