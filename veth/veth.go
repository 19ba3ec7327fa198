package veth

import (
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

// InNamespace creates the first end ("dupond") in the network namespace
// netnsfd refers to. The peer is not affected: see [WithPeerNamespace].
var InNamespace = link.InNamespace

// WithPeerNamespace creates the peer end ("dupont") in the network namespace
// netnsfd refers to. The fd stays owned by the caller.
func WithPeerNamespace(netnsfd int) Opt {
	return link.OptFor("WithPeerNamespace", func(v *netlink.Veth) error {
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
