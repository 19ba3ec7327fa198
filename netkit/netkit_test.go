package netkit_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netkit"
	"github.com/scratchnet/scratchnet/netns"
)

const nameRE = `^nk-[0-9a-zA-Z]{12}$`

// needNetkit skips on kernels that cannot have netkit (before 6.7, with the
// version in the reason), and on newer ones without CONFIG_NETKIT, unless
// the run requires the kind.
func needNetkit() {
	GinkgoHelper()
	guard.SkipUnlessPrivileged()
	link.SkipUnlessKernel("netkit", 6, 7)
	link.SkipUnlessSupported("netkit")
}

// readNetkit reads the netkit link named like l back from the namespace
// behind h, as the kernel reports it.
func readNetkit(h *netlink.Handle, l netlink.Link) *netlink.Netkit {
	GinkgoHelper()
	found, err := h.LinkByName(l.Attrs().Name)
	Expect(err).NotTo(HaveOccurred())
	Expect(found.Attrs().Index).To(Equal(l.Attrs().Index), "index of %q in its own namespace", l.Attrs().Name)
	nk, ok := found.(*netlink.Netkit)
	Expect(ok).To(BeTrue(), "%q is a %T, not a netkit", l.Attrs().Name, found)
	return nk
}

var _ = Describe("transient netkit pairs", func() {

	BeforeEach(needNetkit)

	It("creates an L3 pair by default, primary and peer in their namespaces, with their indexes there", func() {
		host, pod := netns.NewTransient(), netns.NewTransient()
		hh, hp := netns.NewNetlinkHandle(host), netns.NewNetlinkHandle(pod)

		primary, peer := netkit.NewTransient(netkit.InNamespace(host), netkit.WithPeerNamespace(pod))

		for _, end := range []netlink.Link{primary, peer} {
			Expect(end.Attrs().Name).To(MatchRegexp(nameRE))
		}
		Expect(primary.Attrs().Namespace).To(Equal(netlink.NsFd(host)))
		Expect(peer.Attrs().Namespace).To(Equal(netlink.NsFd(pod)))
		Expect(testsupport.LinkNames(host)).To(ConsistOf("lo", primary.Attrs().Name))
		Expect(testsupport.LinkNames(pod)).To(ConsistOf("lo", peer.Attrs().Name))

		p, q := readNetkit(hh, primary), readNetkit(hp, peer)
		Expect(p.IsPrimary()).To(BeTrue())
		Expect(q.IsPrimary()).To(BeFalse())
		Expect(p.Mode).To(Equal(netlink.NETKIT_MODE_L3))
		Expect(q.Mode).To(Equal(netlink.NETKIT_MODE_L3))
		Expect(p.Attrs().HardwareAddr).To(BeEmpty(), "an L3 netkit has no hardware address")
	})

	It("creates an L2 pair whose ends have Ethernet addresses", func() {
		host, pod := netns.NewTransient(), netns.NewTransient()
		primary, peer := netkit.NewTransient(netkit.InNamespace(host), netkit.WithPeerNamespace(pod),
			netkit.WithMode(netlink.NETKIT_MODE_L2))

		p := readNetkit(netns.NewNetlinkHandle(host), primary)
		q := readNetkit(netns.NewNetlinkHandle(pod), peer)
		Expect(p.Mode).To(Equal(netlink.NETKIT_MODE_L2))
		Expect(p.Attrs().HardwareAddr).To(HaveLen(6))
		Expect(q.Attrs().HardwareAddr).To(HaveLen(6))
		Expect(primary.Attrs().HardwareAddr).To(Equal(p.Attrs().HardwareAddr))
	})

	It("creates the primary end with the MTU, transmit queue length and (L2) hardware address given", func() {
		host := netns.NewTransient()
		primary, _ := netkit.NewTransient(netkit.InNamespace(host), netkit.WithMode(netlink.NETKIT_MODE_L2),
			netkit.WithMTU(1400), netkit.WithTxQLen(77), netkit.WithHardwareAddr("02:00:00:00:00:2a"))

		p := readNetkit(netns.NewNetlinkHandle(host), primary)
		Expect(p.Attrs().MTU).To(Equal(1400))
		Expect(p.Attrs().TxQLen).To(Equal(77))
		Expect(p.Attrs().HardwareAddr.String()).To(Equal("02:00:00:00:00:2a"))
	})

	It("refuses a hardware address for an L3 pair, naming the mode", func() {
		host := netns.NewTransient()
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			netkit.NewTransientT(t, netkit.InNamespace(host), netkit.WithHardwareAddr("02:00:00:00:00:2a"))
		})
		Expect(rec.Failures()).To(ConsistOf(ContainSubstring("only allows setting Ethernet in L2 mode")))
		Expect(testsupport.LinkNames(host)).To(ConsistOf("lo"))
	})

	It("leaves the peer in the calling thread's namespace when only InNamespace is given (the kernel's rule)", func() {
		defer netns.EnterTransient()()
		here, other := netns.Current(), netns.NewTransient()

		primary, peer := netkit.NewTransient(netkit.InNamespace(other))

		Expect(primary.Attrs().Namespace).To(Equal(netlink.NsFd(other)))
		Expect(peer.Attrs().Namespace).To(BeNil(), "the peer is in the calling thread's namespace")
		Expect(testsupport.LinkNames(here)).To(ConsistOf("lo", peer.Attrs().Name))
		Expect(testsupport.LinkNames(other)).To(ConsistOf("lo", primary.Attrs().Name))
	})

	DescribeTable("passes or drops what each end sends, by its policy",
		func(mode netlink.NetkitMode, policy, peerPolicy netlink.NetkitPolicy, toPeer, toPrimary bool) {
			host, pod := netns.NewTransient(), netns.NewTransient()
			primary, _ := netkit.NewTransient(netkit.InNamespace(host), netkit.WithPeerNamespace(pod),
				netkit.WithMode(mode), netkit.WithPolicy(policy), netkit.WithPeerPolicy(peerPolicy),
				netkit.WithAddress("192.0.2.1/24"), netkit.WithPeerAddress("192.0.2.2/24"),
				netkit.WithUp(), netkit.WithPeerUp())

			p := readNetkit(netns.NewNetlinkHandle(host), primary)
			Expect(p.Policy).To(Equal(policy))
			Expect(p.PeerPolicy).To(Equal(peerPolicy))

			Expect(testsupport.Delivered(host, "192.0.2.1:0", testsupport.ListenUDP(pod, "192.0.2.2:4242"))).To(Equal(toPeer),
				"a datagram from the primary reaching the peer")
			Expect(testsupport.Delivered(pod, "192.0.2.2:0", testsupport.ListenUDP(host, "192.0.2.1:4242"))).To(Equal(toPrimary),
				"a datagram from the peer reaching the primary")
		},
		Entry("L3, both forward", netlink.NETKIT_MODE_L3, netlink.NETKIT_POLICY_FORWARD, netlink.NETKIT_POLICY_FORWARD, true, true),
		Entry("L2, both forward", netlink.NETKIT_MODE_L2, netlink.NETKIT_POLICY_FORWARD, netlink.NETKIT_POLICY_FORWARD, true, true),
		Entry("L3, primary blackholes", netlink.NETKIT_MODE_L3, netlink.NETKIT_POLICY_BLACKHOLE, netlink.NETKIT_POLICY_FORWARD, false, true),
		Entry("L3, peer blackholes", netlink.NETKIT_MODE_L3, netlink.NETKIT_POLICY_FORWARD, netlink.NETKIT_POLICY_BLACKHOLE, true, false),
	)
})

var _ = Describe("cleaning up transient netkit pairs", func() {

	BeforeEach(needNetkit)

	It("deletes the pair at cleanup", func() {
		host, pod := netns.NewTransient(), netns.NewTransient()
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			primary, peer := netkit.NewTransientT(t, netkit.InNamespace(host), netkit.WithPeerNamespace(pod))
			Expect(testsupport.LinkNames(host)).To(ConsistOf("lo", primary.Attrs().Name))
			Expect(testsupport.LinkNames(pod)).To(ConsistOf("lo", peer.Attrs().Name))
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(rec.Logs()).To(BeEmpty())
		Expect(testsupport.LinkNames(host)).To(ConsistOf("lo"))
		Expect(testsupport.LinkNames(pod)).To(ConsistOf("lo"))
	})
})

var _ = Describe("refusing bad netkit options", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	DescribeTable("fails naming the option and creates nothing",
		func(opt func() netkit.Opt, reason string) {
			ns := netns.NewTransient()
			testsupport.ExpectRefused(func(t testing.TB) {
				netkit.NewTransientT(t, netkit.InNamespace(ns), opt())
			}, ns, "cannot create transient link", reason)
		},
		Entry("unknown mode", func() netkit.Opt { return netkit.WithMode(7) }, "WithMode(7): unknown netkit mode 7"),
		Entry("unknown policy", func() netkit.Opt { return netkit.WithPolicy(1) }, "WithPolicy(1): unknown netkit policy 1"),
		Entry("unknown peer policy", func() netkit.Opt { return netkit.WithPeerPolicy(5) }, "WithPeerPolicy(5): unknown netkit policy 5"),
		Entry("closed peer namespace", func() netkit.Opt { return netkit.WithPeerNamespace(-1) }, "WithPeerNamespace(-1): invalid file descriptor -1"),
	)

	It("refuses peer options on another kind's template", func() {
		ns := netns.NewTransient()
		testsupport.ExpectRefused(func(t testing.TB) {
			link.NewTransientT(t, &netlink.Bridge{}, "br-", link.InNamespace(ns), netkit.WithPeerUp())
		}, ns, "cannot create transient link", "WithPeerUp(): applies to *netlink.Netkit links, not to *netlink.Bridge")
	})
})
