package bond_test

import (
	"fmt"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/bond"
	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

// readBack reads the link back as the kernel reports it in ns.
var readBack = testsupport.ReadBack[netlink.Link]

func modeOf(ns int, b netlink.Link) netlink.BondMode {
	GinkgoHelper()
	found := readBack(ns, b)
	Expect(found).To(BeAssignableToTypeOf(&netlink.Bond{}))
	return found.(*netlink.Bond).Mode
}

var _ = Describe("transient bonds", func() {

	BeforeEach(func() {
		guard.SkipUnlessPrivileged()
		link.SkipUnlessSupported("bond")
	})

	It("creates a balance-rr bond by default", func() {
		ns := netns.NewTransient()
		b := bond.NewTransient(bond.InNamespace(ns))
		Expect(b.Attrs().Name).To(MatchRegexp(`^bond-[0-9a-zA-Z]{10}$`))
		Expect(modeOf(ns, b)).To(Equal(netlink.BOND_MODE_BALANCE_RR))
	})

	DescribeTable("sets the mode, as the kernel reports back",
		func(mode netlink.BondMode) {
			ns := netns.NewTransient()
			b := bond.NewTransient(bond.InNamespace(ns), bond.WithMode(mode))
			Expect(modeOf(ns, b)).To(Equal(mode))
		},
		Entry("active-backup", netlink.BOND_MODE_ACTIVE_BACKUP),
		Entry("balance-xor", netlink.BOND_MODE_BALANCE_XOR),
		Entry("802.3ad", netlink.BOND_MODE_802_3AD),
		Entry("balance-alb", netlink.BOND_MODE_BALANCE_ALB),
	)

	It("adds members, also one that is up, as the kernel reports back", func() {
		ns := netns.NewTransient()
		b := bond.NewTransient(bond.InNamespace(ns), bond.WithMode(netlink.BOND_MODE_ACTIVE_BACKUP))
		down, _ := veth.NewTransient(veth.InNamespace(ns), veth.WithPeerNamespace(ns))
		up, _ := veth.NewTransient(veth.InNamespace(ns), veth.WithPeerNamespace(ns), veth.WithUp(), veth.WithPeerUp())

		bond.AddMember(b, down)
		bond.AddMember(b, up)

		for _, member := range []netlink.Link{down, up} {
			Expect(readBack(ns, member).Attrs().MasterIndex).To(Equal(b.Attrs().Index), member.Attrs().Name)
		}
	})

	It("releases a member at cleanup when both outlive the spec", func() {
		ns := netns.NewTransient()
		h := netns.NewNetlinkHandle(ns)
		// Neither is transient: both outlive the recorded spec, and go with ns.
		Expect(h.LinkAdd(netlink.NewLinkBond(netlink.LinkAttrs{Name: "lasting-bond"}))).To(Succeed())
		Expect(h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "lasting-member"}, PeerName: "lasting-peer"})).To(Succeed())
		b, err := h.LinkByName("lasting-bond")
		Expect(err).NotTo(HaveOccurred())
		member, err := h.LinkByName("lasting-member")
		Expect(err).NotTo(HaveOccurred())

		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			bond.AddMemberT(t, testsupport.InNamespace(b, ns), testsupport.InNamespace(member, ns))
			Expect(readBack(ns, member).Attrs().MasterIndex).To(Equal(b.Attrs().Index))
		})

		Expect(rec.Failures()).To(BeEmpty())
		Expect(rec.Logs()).To(BeEmpty())
		Expect(readBack(ns, member).Attrs().MasterIndex).To(BeZero())
		Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo", "lasting-bond", "lasting-member", "lasting-peer"))
	})

	It("deletes the bond at cleanup", func() {
		ns := netns.NewTransient()
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			b := bond.NewTransientT(t, bond.InNamespace(ns))
			member, _ := veth.NewTransientT(t, veth.InNamespace(ns), veth.WithPeerNamespace(ns))
			bond.AddMemberT(t, b, member)
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo"))
	})

	It("refuses a member in another namespace than the bond", func() {
		ns := netns.NewTransient()
		b := bond.NewTransient(bond.InNamespace(ns))
		member, _ := veth.NewTransient(veth.InNamespace(netns.NewTransient()), veth.WithPeerNamespace(ns))
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { bond.AddMemberT(t, b, member) })
		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			HavePrefix(fmt.Sprintf(`cannot enslave link %q (index %d) to master %q (index %d), reason: `,
				member.Attrs().Name, member.Attrs().Index, b.Attrs().Name, b.Attrs().Index)),
			ContainSubstring("a port must live in its master's namespace"))))
	})
})

var _ = Describe("refusing bonds it cannot create, before anything is created", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	DescribeTable("with a clear message",
		func(opt bond.Opt, reason string) {
			ns := netns.NewTransient()
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) { bond.NewTransientT(t, bond.InNamespace(ns), opt) })
			Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
				HavePrefix(`cannot create transient link with prefix "bond-", reason: `), ContainSubstring(reason))))
			Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo"))
		},
		Entry("an unknown mode", bond.WithMode(netlink.BOND_MODE_UNKNOWN), "WithMode(7): unknown bonding mode 7"),
		Entry("a negative mode", bond.WithMode(-1), "WithMode(-1): unknown bonding mode -1"),
		Entry("an option for another kind", link.OptFor("WithPeerThing", func(*netlink.Veth) error { return nil }),
			"WithPeerThing: applies to *netlink.Veth links, not to *netlink.Bond"),
	)

	It("refuses a nil member", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { bond.AddMemberT(t, &netlink.Bond{}, nil) })
		Expect(rec.Failures()).To(ConsistOf("cannot enslave link to master, reason: master or port is nil"))
	})
})
