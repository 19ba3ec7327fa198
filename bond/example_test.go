package bond_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/bond"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

// A bond in active-backup mode with two veth members. It only compiles here:
// it needs a namespace and the kernel's bonding driver, which many minimal
// kernels lack (the spec skips on those).
func ExampleNewTransient() {
	It("bonds two links in active-backup mode", func() {
		link.SkipUnlessSupported("bond")
		ns := netns.NewTransient()
		b := bond.NewTransient(bond.InNamespace(ns), bond.WithMode(netlink.BOND_MODE_ACTIVE_BACKUP))
		for range 2 {
			member, _ := veth.NewTransient(veth.InNamespace(ns), veth.WithPeerNamespace(ns))
			bond.AddMember(b, member) // released again at the end of the spec
		}
		Expect(b.Attrs().Index).To(BeNumerically(">", 0))
	})
}
