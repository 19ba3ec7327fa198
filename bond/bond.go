package bond

import (
	"fmt"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/link"
)

// BondPrefix starts the names of transient bonds.
const BondPrefix = "bond-"

// Opt configures a bond before it is created; see the link package.
type Opt = link.Opt

// WithMode sets the bonding mode, netlink.BOND_MODE_BALANCE_RR to
// BOND_MODE_BALANCE_ALB.
func WithMode(mode netlink.BondMode) Opt {
	return link.OptFor(fmt.Sprintf("WithMode(%d)", mode), func(b *netlink.Bond) error {
		if mode < netlink.BOND_MODE_BALANCE_RR || mode > netlink.BOND_MODE_BALANCE_ALB {
			return fmt.Errorf("unknown bonding mode %d", mode)
		}
		b.Mode = mode
		return nil
	})
}

// NewTransient creates a transient bond, down and without members, and
// returns it with its Index. It is deleted when the current node's cleanup
// runs.
func NewTransient(opts ...Opt) netlink.Link {
	GinkgoHelper()
	return NewTransientT(GinkgoTB(), opts...)
}

// NewTransientT is [NewTransient] for plain testing users.
func NewTransientT(t testing.TB, opts ...Opt) netlink.Link {
	t.Helper()
	// Its bonding parameters at -1 make vishvananda/netlink leave them to
	// the kernel; the zero value of netlink.Bond would send them all as 0.
	return link.NewTransientT(t, netlink.NewLinkBond(netlink.LinkAttrs{}), BondPrefix, opts...)
}

// AddMember makes member a member of the bond, both found where they live as
// [link.Locate] resolves it (their link.Link wrapper's LinkNamespace, their
// LinkAttrs.Namespace, or else the calling thread's namespace), setting member
// down first as the bonding driver requires. When the current node's cleanup
// runs, member is released again if both still exist and member still
// belongs to the bond; see [link.Enslave].
func AddMember(bond, member netlink.Link) {
	GinkgoHelper()
	AddMemberT(GinkgoTB(), bond, member)
}

// AddMemberT is [AddMember] for plain testing users.
func AddMemberT(t testing.TB, bond, member netlink.Link) {
	t.Helper()
	link.EnslaveT(t, bond, member)
}
