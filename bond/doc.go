// Package bond creates transient bonds (link aggregation) and adds members to
// them for the duration of a test.
//
// See docs/namespaces-and-links.md in the repository for the guide to
// namespaces and links.
//
//	It("bonds two links in active-backup mode", func() {
//	    link.SkipUnlessSupported("bond")
//	    ns := netns.NewTransient()
//	    b := bond.NewTransient(bond.InNamespace(ns), bond.WithMode(netlink.BOND_MODE_ACTIVE_BACKUP))
//	    for range 2 {
//	        member, _ := veth.NewTransient(veth.InNamespace(ns), veth.WithPeerNamespace(ns))
//	        bond.AddMember(b, member) // released again at the end of the spec
//	    }
//	})
//
// The mode is the kernel's default, balance-rr, unless [WithMode] says
// otherwise. The bond is deleted at the end of the node that created it;
// [AddMember] releases its member then, if both are still there.
//
// Bonds need the kernel's bonding driver (CONFIG_BONDING, module "bonding");
// minimal kernels often lack it, so specs start with
// link.SkipUnlessSupported("bond").
//
// # Pitfalls
//
// The bonding driver refuses a member that is up ("Device can not be enslaved
// while up") and brings a member up itself once it is enslaved: [AddMember]
// sets a member down first.
//
// Loading the bonding module creates a bond0 in the initial network namespace
// unless it is loaded with max_bonds=0.
//
// A bond and its members must live in the same network namespace, and a bond
// cannot move to another namespace once created: create it where it belongs,
// with [InNamespace]. Its mode can only change while it has no members.
package bond
