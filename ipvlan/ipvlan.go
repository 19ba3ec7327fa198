package ipvlan

import (
	"fmt"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/link"
)

// IPVlanPrefix starts the names of transient ipvlan links.
const IPVlanPrefix = "ipvl-"

// Opt configures an ipvlan link before it is created; see the link package.
type Opt = link.Opt

// WithMode sets the mode of the ipvlan, and so of every ipvlan on its parent:
// netlink.IPVLAN_MODE_L2, IPVLAN_MODE_L3 or IPVLAN_MODE_L3S.
func WithMode(mode netlink.IPVlanMode) Opt {
	return link.OptFor(fmt.Sprintf("WithMode(%v)", mode), func(l *netlink.IPVlan) error {
		if mode >= netlink.IPVLAN_MODE_MAX {
			return fmt.Errorf("unknown ipvlan mode %d", mode)
		}
		l.Mode = mode
		return nil
	})
}

// WithFlag sets how ipvlans on the same parent reach each other:
// netlink.IPVLAN_FLAG_BRIDGE (directly), IPVLAN_FLAG_PRIVATE (not at all) or
// IPVLAN_FLAG_VEPA (only through the external switch).
func WithFlag(flag netlink.IPVlanFlag) Opt {
	return link.OptFor(fmt.Sprintf("WithFlag(%v)", flag), func(l *netlink.IPVlan) error {
		if flag > netlink.IPVLAN_FLAG_VEPA {
			return fmt.Errorf("unknown ipvlan flag %d", flag)
		}
		l.Flag = flag
		return nil
	})
}

// NewTransient creates a transient ipvlan on parent, in mode L2 with flag
// "bridge" unless options say otherwise, and returns it with its Index in the
// namespace where it ended up. It is deleted when the current node's cleanup
// runs.
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
	tmpl := &netlink.IPVlan{Mode: netlink.IPVLAN_MODE_L2, Flag: netlink.IPVLAN_FLAG_BRIDGE}
	return link.NewStackedT(t, tmpl, IPVlanPrefix, parent, opts...)
}
