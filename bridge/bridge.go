package bridge

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/link"
)

// BridgePrefix starts the names of transient bridges.
const BridgePrefix = "br-"

// Opt configures a bridge before it is created; see the link package.
type Opt = link.Opt

// WithVlanFiltering switches VLAN filtering on: the bridge then forwards a
// frame only between ports that are members of the frame's VLAN. It needs
// CONFIG_BRIDGE_VLAN_FILTERING; see [SkipUnlessVlanFiltering].
func WithVlanFiltering() Opt {
	return link.OptFor("WithVlanFiltering()", func(b *netlink.Bridge) error {
		on := true
		b.VlanFiltering = &on
		return nil
	})
}

// NewTransient creates a transient bridge, down, and returns it with its
// Index. It is deleted when the current node's cleanup runs.
func NewTransient(opts ...Opt) netlink.Link {
	GinkgoHelper()
	return NewTransientT(GinkgoTB(), opts...)
}

// NewTransientT is [NewTransient] for plain testing users.
func NewTransientT(t testing.TB, opts ...Opt) netlink.Link {
	t.Helper()
	return link.NewTransientT(t, &netlink.Bridge{}, BridgePrefix, opts...)
}

// AddPort makes port a port of the bridge br, both found where they live as
// [link.Locate] resolves it (their link.Link wrapper's LinkNamespace, their
// LinkAttrs.Namespace, or else the calling thread's namespace). When the current
// node's cleanup runs, port is detached again if both still exist and port is
// still br's; see [link.Enslave].
func AddPort(br, port netlink.Link) {
	GinkgoHelper()
	AddPortT(GinkgoTB(), br, port)
}

// AddPortT is [AddPort] for plain testing users.
func AddPortT(t testing.TB, br, port netlink.Link) {
	t.Helper()
	link.EnslaveT(t, br, port)
}

// vlanFilteringFeature names bridge VLAN filtering in skip messages and in
// the environment variable [link.RequireKindsEnv].
const vlanFilteringFeature = "bridge-vlan-filtering"

// SkipUnlessVlanFiltering skips the current spec unless the kernel supports
// bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING), or fails it when the
// environment variable [link.RequireKindsEnv] lists "bridge-vlan-filtering"
// or "all".
func SkipUnlessVlanFiltering() {
	GinkgoHelper()
	SkipUnlessVlanFilteringT(GinkgoTB())
}

// SkipUnlessVlanFilteringT is [SkipUnlessVlanFiltering] for plain testing
// users.
func SkipUnlessVlanFilteringT(t testing.TB) {
	t.Helper()
	on := true
	link.SkipUnlessCreatableT(t, vlanFilteringFeature, &netlink.Bridge{VlanFiltering: &on})
}
