package netkit

import (
	"fmt"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/link"
)

// NetkitPrefix starts the names of both ends of a transient netkit pair.
const NetkitPrefix = "nk-"

// Opt configures a netkit pair before it is created; see the link package.
type Opt = link.Opt

// WithMode sets the pair's mode: netlink.NETKIT_MODE_L3 (the default, no
// hardware addresses) or netlink.NETKIT_MODE_L2 (Ethernet, like a veth).
func WithMode(mode netlink.NetkitMode) Opt {
	return link.OptFor(fmt.Sprintf("WithMode(%v)", mode), func(n *netlink.Netkit) error {
		if mode != netlink.NETKIT_MODE_L2 && mode != netlink.NETKIT_MODE_L3 {
			return fmt.Errorf("unknown netkit mode %d", mode)
		}
		n.Mode = mode
		return nil
	})
}

// WithPolicy sets what the primary end does with what it sends while no BPF
// program is attached: netlink.NETKIT_POLICY_FORWARD (the default) passes
// it to the peer, netlink.NETKIT_POLICY_BLACKHOLE drops it.
func WithPolicy(p netlink.NetkitPolicy) Opt {
	return link.OptFor(fmt.Sprintf("WithPolicy(%v)", p), func(n *netlink.Netkit) error {
		if err := checkPolicy(p); err != nil {
			return err
		}
		n.Policy = p
		return nil
	})
}

// WithPeerPolicy sets the same for the peer end.
func WithPeerPolicy(p netlink.NetkitPolicy) Opt {
	return link.OptFor(fmt.Sprintf("WithPeerPolicy(%v)", p), func(n *netlink.Netkit) error {
		if err := checkPolicy(p); err != nil {
			return err
		}
		n.PeerPolicy = p
		return nil
	})
}

func checkPolicy(p netlink.NetkitPolicy) error {
	if p != netlink.NETKIT_POLICY_FORWARD && p != netlink.NETKIT_POLICY_BLACKHOLE {
		return fmt.Errorf("unknown netkit policy %d", p)
	}
	return nil
}

// WithPeerNamespace creates the peer end in the network namespace netnsfd
// refers to. The fd stays owned by the caller.
func WithPeerNamespace(netnsfd int) Opt {
	return withPeer(fmt.Sprintf("WithPeerNamespace(%d)", netnsfd), link.WithPeerNamespace(netnsfd))
}

// WithPeerAddress adds an address such as "10.0.0.2/24" or "fd00::2/64" to
// the peer end, without duplicate address detection for IPv6.
func WithPeerAddress(cidr string) Opt {
	return withPeer(fmt.Sprintf("WithPeerAddress(%q)", cidr), link.WithPeerAddress(cidr))
}

// WithPeerUp brings the peer end up once the pair exists.
func WithPeerUp() Opt {
	return withPeer("WithPeerUp()", link.WithPeerUp())
}

// withPeer limits one of link's peer options, which name themselves in
// their errors, to netkit templates.
func withPeer(name string, opt link.Opt) Opt {
	return func(l *link.Link) error {
		if _, ok := l.Link.(*netlink.Netkit); !ok {
			return fmt.Errorf("%s: applies to *netlink.Netkit links, not to %T", name, l.Link)
		}
		return opt(l)
	}
}

// NewTransient creates a transient netkit pair and returns its primary and
// peer ends, each carrying the Index it has in its own namespace and, as the
// kernel reports it, its mode and policy. Both names start with
// [NetkitPrefix]. The pair is deleted when the current node's cleanup runs
// (deleting the primary removes the peer).
func NewTransient(opts ...Opt) (primary, peer netlink.Link) {
	GinkgoHelper()
	return NewTransientT(GinkgoTB(), opts...)
}

// NewTransientT is [NewTransient] for plain testing users.
func NewTransientT(t testing.TB, opts ...Opt) (primary, peer netlink.Link) {
	t.Helper()
	return link.NewTransientPairT(t, &netlink.Netkit{Mode: netlink.NETKIT_MODE_L3}, NetkitPrefix, opts...)
}
