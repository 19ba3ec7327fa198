package veth

import (
	"fmt"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/link"
)

// VethPrefix starts the names of both ends of a transient veth pair.
const VethPrefix = "veth-"

// Opt configures a veth pair before it is created; see the link package.
type Opt = link.Opt

// WithPeerAddress adds an address such as "10.0.0.2/24" or "fd00::2/64" to
// the peer end, without duplicate address detection for IPv6.
func WithPeerAddress(cidr string) Opt {
	return withPeer(fmt.Sprintf("WithPeerAddress(%q)", cidr), link.WithPeerAddress(cidr))
}

// WithPeerUp brings the peer end up once the pair exists.
func WithPeerUp() Opt {
	return withPeer("WithPeerUp()", link.WithPeerUp())
}

// withPeer limits an option that configures the peer to veth templates.
func withPeer(name string, opt Opt) Opt {
	return func(l *link.Link) error {
		if _, ok := l.Link.(*netlink.Veth); !ok {
			return fmt.Errorf("%s: applies to *netlink.Veth links, not to %T", name, l.Link)
		}
		return opt(l)
	}
}

// WithPeerNamespace creates the peer end ("dupont") in the network namespace
// netnsfd refers to. The fd stays owned by the caller.
func WithPeerNamespace(netnsfd int) Opt {
	return link.OptFor(fmt.Sprintf("WithPeerNamespace(%v)", netnsfd), func(v *netlink.Veth) error {
		if err := nsops.Check(netnsfd); err != nil {
			return err
		}
		v.PeerNamespace = netlink.NsFd(netnsfd)
		return nil
	})
}

// NewTransient creates a transient veth pair and returns its two ends, each
// carrying the Index it has in its own namespace. Both names start with
// [VethPrefix]. The pair is deleted when the current node's cleanup runs.
func NewTransient(opts ...Opt) (dupond, dupont netlink.Link) {
	GinkgoHelper()
	return NewTransientT(GinkgoTB(), opts...)
}

// NewTransientT is [NewTransient] for plain testing users.
func NewTransientT(t testing.TB, opts ...Opt) (dupond, dupont netlink.Link) {
	t.Helper()
	return link.NewTransientPairT(t, &netlink.Veth{}, VethPrefix, opts...)
}
