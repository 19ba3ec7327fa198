package macvtap

import (
	"fmt"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/link"
)

// MacvtapPrefix starts the names of transient macvtap links.
const MacvtapPrefix = "mcvt-"

// Opt configures a macvtap link before it is created; see the link package.
type Opt = link.Opt

// WithMode sets the macvtap mode (private, VEPA, bridge, passthru or
// source); the default is netlink.MACVLAN_MODE_BRIDGE.
func WithMode(mode netlink.MacvlanMode) Opt {
	return link.OptFor(fmt.Sprintf("WithMode(%v)", mode), func(m *netlink.Macvtap) error {
		if mode > netlink.MACVLAN_MODE_SOURCE {
			return fmt.Errorf("unknown macvtap mode %d", mode)
		}
		m.Mode = mode
		return nil
	})
}

// NewTransient creates a transient macvtap on parent, in bridge mode unless
// [WithMode] says otherwise, and returns it with its Index in the namespace
// where it ended up. It is deleted when the current node's cleanup runs.
//
// parent must live in the namespace named by [WithLinkNamespace], or in the
// calling thread's namespace when that option is not given.
func NewTransient(parent netlink.Link, opts ...Opt) netlink.Link {
	GinkgoHelper()
	return NewTransientT(GinkgoTB(), parent, opts...)
}

// NewTransientT is [NewTransient] for plain testing users.
func NewTransientT(t testing.TB, parent netlink.Link, opts ...Opt) netlink.Link {
	t.Helper()
	tmpl := &netlink.Macvtap{Macvlan: netlink.Macvlan{Mode: netlink.MACVLAN_MODE_BRIDGE}}
	return link.NewStackedT(t, tmpl, MacvtapPrefix, parent, opts...)
}
