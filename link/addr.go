package link

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
	"github.com/scratchnet/scratchnet/internal/scope"
)

// ParseAddr turns "10.0.0.1/24" or "fd00::1/64" into a netlink address. IPv6
// addresses get IFA_F_NODAD: without it they stay "tentative", unusable for
// binding or sending, for one to two seconds of duplicate address detection,
// which on a test's private link can never find a duplicate anyway.
func ParseAddr(cidr string) (*netlink.Addr, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return nil, fmt.Errorf("%q is not an address with prefix length such as 10.0.0.1/24 or fd00::1/64", cidr)
	}
	a := &netlink.Addr{IPNet: &net.IPNet{
		IP:   net.IP(p.Addr().Unmap().AsSlice()),
		Mask: net.CIDRMask(p.Bits(), p.Addr().Unmap().BitLen()),
	}}
	if p.Addr().Is6() && !p.Addr().Is4In6() {
		a.Flags |= unix.IFA_F_NODAD
	}
	return a, nil
}

// WithAddress adds an IPv4 or IPv6 address in CIDR notation ("10.0.0.1/24",
// "fd00::1/64") to the link once it is created; IPv6 addresses skip duplicate
// address detection and are usable at once. The option may be given several
// times. The addresses go with the link.
func WithAddress(cidr string) Opt {
	return func(l *Link) error {
		a, err := ParseAddr(cidr)
		if err != nil {
			return fmt.Errorf("WithAddress(%q): %w", cidr, err)
		}
		s, err := settingsOf(fmt.Sprintf("WithAddress(%q)", cidr), l)
		if err != nil {
			return err
		}
		s.Addrs = append(s.Addrs, *a)
		return nil
	}
}

// WithUp brings the link up once it is created (and its addresses are in
// place), and waits as [EnsureUp] does until it is operationally up. For a
// veth pair, combine it with the veth package's WithPeerUp: an end only
// becomes UP once its peer is up too.
func WithUp() Opt {
	return func(l *Link) error {
		s, err := settingsOf("WithUp()", l)
		if err != nil {
			return err
		}
		s.Up = true
		return nil
	}
}

// WithPeerAddress adds an IPv4 or IPv6 address in CIDR notation to the
// second link of a pair (a veth peer) once the pair is created, as
// [WithAddress] does for the first. Creating a kind without a peer with it
// fails.
func WithPeerAddress(cidr string) Opt {
	return func(l *Link) error {
		a, err := ParseAddr(cidr)
		if err != nil {
			return fmt.Errorf("WithPeerAddress(%q): %w", cidr, err)
		}
		s, err := settingsOf(fmt.Sprintf("WithPeerAddress(%q)", cidr), l)
		if err != nil {
			return err
		}
		s.PeerAddrs = append(s.PeerAddrs, *a)
		return nil
	}
}

// WithPeerUp brings the second link of a pair (a veth peer) up once the
// pair is created, as [WithUp] does for the first. Creating a kind without a
// peer with it fails.
func WithPeerUp() Opt {
	return func(l *Link) error {
		s, err := settingsOf("WithPeerUp()", l)
		if err != nil {
			return err
		}
		s.PeerUp = true
		return nil
	}
}

// AddAddress adds an address in CIDR notation to an existing link, in the
// namespace it lives in as [Locate] resolves it: its [Link] wrapper's
// LinkNamespace, its LinkAttrs.Namespace, or else the calling thread's, where
// its Index must belong to a link of its Name. At cleanup the address is
// removed again if the link still has it; a link that is gone by then took
// the address with it.
func AddAddress(l netlink.Link, cidr string) {
	GinkgoHelper()
	AddAddressT(GinkgoTB(), l, cidr)
}

// AddAddressT is [AddAddress] for plain testing users.
func AddAddressT(t testing.TB, l netlink.Link, cidr string) {
	t.Helper()
	if isNil(l) {
		t.Fatalf("cannot add address %s, reason: link is nil", cidr)
	}
	a, err := ParseAddr(cidr)
	if err != nil {
		t.Fatalf("cannot add address to link %q, reason: %v", nameOf(l), err)
	}
	nsfd, index, err := addAddr(l, a)
	if err != nil {
		t.Fatalf("cannot add address %s to link %s, reason: %v", cidr, refOf(l), err)
	}
	sc := scope.Of(t)
	sc.Cleanup(t, func() {
		defer unix.Close(nsfd)
		if sc.DiesAt(nsfd) {
			return
		}
		if err := delAddr(nsfd, index, a); err != nil {
			t.Errorf("cannot remove address %s from link %q (index %d) in %s, reason: %v",
				cidr, nameOf(l), index, nsops.Describe(nsfd), err)
		}
	})
}

// addAddr adds a to the link and returns a new fd of the link's namespace
// and the link's index there, for the cleanup.
func addAddr(l netlink.Link, a *netlink.Addr) (int, int, error) {
	nsfd, h, cur, err := locate(l)
	if err != nil {
		return -1, 0, err
	}
	defer h.Close()
	if err := h.AddrAdd(cur, a); err != nil {
		unix.Close(nsfd)
		return -1, 0, fmt.Errorf("in %s: %w", nsops.Describe(nsfd), err)
	}
	return nsfd, cur.Attrs().Index, nil
}

func delAddr(nsfd, index int, a *netlink.Addr) error {
	h, err := nsops.RouteHandleAt(nsfd)
	if err != nil {
		return err
	}
	defer h.Close()
	l, err := h.LinkByIndex(index)
	if errors.As(err, new(netlink.LinkNotFoundError)) {
		return nil
	}
	if err != nil {
		return err
	}
	err = h.AddrDel(l, a)
	if errors.Is(err, unix.EADDRNOTAVAIL) {
		return nil
	}
	return err
}
