package route

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/internal/optname"
	"github.com/scratchnet/scratchnet/internal/scope"
	"github.com/scratchnet/scratchnet/link"
)

// Route is a route as the options configure it: the netlink route, and the
// link named by [Dev], whose namespace [Add] checks.
type Route struct {
	netlink.Route
	Dev netlink.Link
}

// Opt configures a route before it is added.
type Opt func(*Route) error

// Via sends the route's traffic to the gateway address gw.
func Via(gw string) Opt {
	return func(r *Route) error {
		a, err := netip.ParseAddr(gw)
		if err != nil {
			return fmt.Errorf("Via(%q): not an IP address", gw)
		}
		r.Gw = net.IP(a.Unmap().AsSlice())
		return nil
	}
}

// Dev sends the route's traffic out of the link l, which must live in the
// namespace the route is added to. Where l lives is resolved as
// link.Locate does: its link.Link wrapper's LinkNamespace (see
// link.WrapWithLinkNamespace), its LinkAttrs.Namespace, or else the calling
// thread's namespace, where its Index must belong to a link of its Name.
func Dev(l netlink.Link) Opt {
	return func(r *Route) error {
		if l == nil || l.Attrs().Index <= 0 {
			return errors.New("Dev: link is nil or has no index")
		}
		r.LinkIndex, r.Dev = l.Attrs().Index, l
		return nil
	}
}

// Table puts the route into routing table id instead of the main table.
func Table(id int) Opt {
	return func(r *Route) error {
		r.Table = id
		return nil
	}
}

// Add adds a route to dst ("10.1.0.0/16", "fd00:1::/64", or "default" for
// the default route of the gateway's address family) in the network
// namespace netnsfd refers to, and removes it at cleanup. netnsfd stays
// owned by the caller.
func Add(netnsfd int, dst string, opts ...Opt) {
	GinkgoHelper()
	AddT(GinkgoTB(), netnsfd, dst, opts...)
}

// AddT is [Add] for plain testing users.
func AddT(t testing.TB, netnsfd int, dst string, opts ...Opt) {
	t.Helper()
	r, err := build(dst, opts)
	if err != nil {
		t.Fatalf("cannot add route to %s, reason: %v", dst, err)
	}
	// Named with its gateway and link, so that "network is unreachable"
	// says which gateway was out of reach.
	dst = describe(dst, r)
	own, err := nsops.Dup(netnsfd)
	if err != nil {
		t.Fatalf("cannot add route to %s in network namespace fd %d, reason: %v", dst, netnsfd, err)
	}
	if err := devLivesIn(r.Dev, own); err != nil {
		unix.Close(own)
		t.Fatalf("cannot add route to %s in %s, reason: %v", dst, nsops.Describe(netnsfd), err)
	}
	if err := add(own, &r.Route); err != nil {
		unix.Close(own)
		t.Fatalf("cannot add route to %s in %s, reason: %v", dst, nsops.Describe(netnsfd), err)
	}
	sc := scope.Of(t)
	sc.Cleanup(t, func() {
		defer unix.Close(own)
		if sc.DiesAt(own) {
			return
		}
		if err := del(own, &r.Route); err != nil {
			t.Errorf("cannot remove route to %s from %s, reason: %v", dst, nsops.Describe(own), err)
		}
	})
}

// describe names the route to dst in messages, with its gateway and link.
func describe(dst string, r *Route) string {
	if r.Gw != nil {
		dst += " via " + r.Gw.String()
	}
	if r.Dev != nil {
		dst += fmt.Sprintf(" dev %q", r.Dev.Attrs().Name)
	}
	if r.Table != 0 {
		dst += fmt.Sprintf(" table %d", r.Table)
	}
	return dst
}

// devLivesIn refuses a Dev link that does not live in the route's
// namespace, found where it lives as link.Locate resolves it: the kernel
// would take its index for whatever link has that index in the route's
// namespace.
func devLivesIn(dev netlink.Link, nsfd int) error {
	if dev == nil {
		return nil
	}
	devfd, _, err := link.Locate(dev)
	if err != nil {
		return fmt.Errorf("Dev: link %q (index %d): %w", dev.Attrs().Name, dev.Attrs().Index, err)
	}
	defer unix.Close(devfd)
	same, err := nsops.SameNs(devfd, nsfd)
	if err != nil {
		return err
	}
	if !same {
		return fmt.Errorf("Dev: link %q lives in %s, not in the route's", dev.Attrs().Name, nsops.Describe(devfd))
	}
	return nil
}

// AddDefault adds a default route via the gateway gw (IPv4 or IPv6) in the
// network namespace netnsfd refers to, and removes it at cleanup.
func AddDefault(netnsfd int, gw string, opts ...Opt) {
	GinkgoHelper()
	AddDefaultT(GinkgoTB(), netnsfd, gw, opts...)
}

// AddDefaultT is [AddDefault] for plain testing users.
func AddDefaultT(t testing.TB, netnsfd int, gw string, opts ...Opt) {
	t.Helper()
	AddT(t, netnsfd, "default", append([]Opt{Via(gw)}, opts...)...)
}

// build turns dst and the options into a route. "default" takes its address
// family from the gateway, since the kernel needs one.
func build(dst string, opts []Opt) (*Route, error) {
	r := &Route{}
	for i, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("option %d is nil", i+1)
		}
		if err := opt(r); err != nil {
			return nil, optname.Wrap(opt, i, err)
		}
	}
	if dst == "default" {
		if r.Gw == nil {
			return nil, errors.New(`a "default" route needs a gateway (Via) to tell its address family`)
		}
		bits := 32
		if r.Gw.To4() == nil {
			bits = 128
		}
		r.Dst = &net.IPNet{IP: make(net.IP, bits/8), Mask: net.CIDRMask(0, bits)}
		return r, nil
	}
	p, err := netip.ParsePrefix(dst)
	if err != nil {
		return nil, fmt.Errorf("%q is neither \"default\" nor a prefix such as 10.1.0.0/16", dst)
	}
	p = p.Masked()
	r.Dst = &net.IPNet{IP: net.IP(p.Addr().Unmap().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().Unmap().BitLen())}
	if r.Gw == nil && r.LinkIndex == 0 {
		return nil, errors.New("a route needs a gateway (Via) or a link (Dev)")
	}
	return r, nil
}

func add(nsfd int, r *netlink.Route) error {
	h, err := nsops.RouteHandleAt(nsfd)
	if err != nil {
		return err
	}
	defer h.Close()
	return h.RouteAdd(r)
}

// del removes the route if it is still there: its link, or the link its
// gateway was reached through, may have taken it along already.
func del(nsfd int, r *netlink.Route) error {
	h, err := nsops.RouteHandleAt(nsfd)
	if err != nil {
		return err
	}
	defer h.Close()
	err = h.RouteDel(r)
	if errors.Is(err, unix.ESRCH) || errors.Is(err, unix.ENODEV) {
		return nil
	}
	return err
}
