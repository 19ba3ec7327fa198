package bridge_test

import (
	"fmt"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	. "github.com/onsi/gomega/gstruct"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/bridge"
	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

// masterIndexOf reads the master index of the link with that index in the
// namespace nsfd refers to.
func masterIndexOf(nsfd, index int) int {
	GinkgoHelper()
	l, err := netns.NewNetlinkHandle(nsfd).LinkByIndex(index)
	Expect(err).NotTo(HaveOccurred())
	return l.Attrs().MasterIndex
}

var _ = Describe("transient bridges", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("creates a bridge named with BridgePrefix where asked and returns its index there", func() {
		ns := netns.NewTransient()
		br := bridge.NewTransient(bridge.InNamespace(ns))

		Expect(br.Attrs().Name).To(MatchRegexp(`^br-[0-9a-zA-Z]{12}$`))
		Expect(br.Attrs().Namespace).To(Equal(netlink.NsFd(ns)))
		found, err := netns.NewNetlinkHandle(ns).LinkByIndex(br.Attrs().Index)
		Expect(err).NotTo(HaveOccurred())
		Expect(found.Type()).To(Equal("bridge"))
		Expect(found.Attrs().Name).To(Equal(br.Attrs().Name))
	})

	It("comes up without ports", func() {
		ns := netns.NewTransient()
		br := bridge.NewTransient(bridge.InNamespace(ns), bridge.WithUp())

		found, err := netns.NewNetlinkHandle(ns).LinkByIndex(br.Attrs().Index)
		Expect(err).NotTo(HaveOccurred())
		Expect(found.Attrs().OperState).To(Equal(netlink.LinkOperState(netlink.OperUnknown)))
	})

	It("deletes the bridge at cleanup", func() {
		ns := netns.NewTransient()
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			br := bridge.NewTransientT(t, bridge.InNamespace(ns))
			Expect(testsupport.LinkNames(ns)).To(ContainElement(br.Attrs().Name))
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo"))
	})
})

var _ = Describe("bridge ports", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("attaches a port, as the kernel reports back", func() {
		ns := netns.NewTransient()
		br := bridge.NewTransient(bridge.InNamespace(ns))
		port, _ := veth.NewTransient(veth.InNamespace(ns), veth.WithPeerNamespace(ns))

		bridge.AddPort(br, port)

		Expect(masterIndexOf(ns, port.Attrs().Index)).To(Equal(br.Attrs().Index))
	})

	It("detaches the port at cleanup when both outlive the spec", func() {
		ns := netns.NewTransient()
		h := netns.NewNetlinkHandle(ns)
		// Neither is transient: both outlive the recorded spec, and go with ns.
		Expect(h.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "lasting-br"}})).To(Succeed())
		Expect(h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "lasting-port"}, PeerName: "lasting-peer"})).To(Succeed())
		br, err := h.LinkByName("lasting-br")
		Expect(err).NotTo(HaveOccurred())
		port, err := h.LinkByName("lasting-port")
		Expect(err).NotTo(HaveOccurred())

		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			bridge.AddPortT(t, testsupport.InNamespace(br, ns), testsupport.InNamespace(port, ns))
			Expect(masterIndexOf(ns, port.Attrs().Index)).To(Equal(br.Attrs().Index))
		})

		Expect(rec.Failures()).To(BeEmpty())
		Expect(rec.Logs()).To(BeEmpty())
		Expect(masterIndexOf(ns, port.Attrs().Index)).To(BeZero())
		Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo", "lasting-br", "lasting-port", "lasting-peer"))
	})

	It("stays quiet when the spec deleted the bridge with its port attached", func() {
		ns := netns.NewTransient()
		h := netns.NewNetlinkHandle(ns)
		var port netlink.Link

		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			br := bridge.NewTransientT(t, bridge.InNamespace(ns))
			port, _ = veth.NewTransientT(t, veth.InNamespace(ns), veth.WithPeerNamespace(ns))
			bridge.AddPortT(t, br, port)
			Expect(h.LinkDel(br)).To(Succeed())
		})

		Expect(rec.Failures()).To(BeEmpty())
		Expect(rec.Logs()).To(BeEmpty())
		Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo"))
	})

	It("leaves a port alone that the spec moved to another bridge, and says so", func() {
		ns := netns.NewTransient()
		h := netns.NewNetlinkHandle(ns)
		Expect(h.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "other-br"}})).To(Succeed())
		other, err := h.LinkByName("other-br")
		Expect(err).NotTo(HaveOccurred())
		Expect(h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "lasting-port"}, PeerName: "lasting-peer"})).To(Succeed())
		port, err := h.LinkByName("lasting-port")
		Expect(err).NotTo(HaveOccurred())

		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			br := bridge.NewTransientT(t, bridge.InNamespace(ns))
			bridge.AddPortT(t, br, testsupport.InNamespace(port, ns))
			Expect(h.LinkSetMaster(port, other)).To(Succeed())
		})

		Expect(rec.Failures()).To(BeEmpty())
		Expect(rec.Logs()).To(ConsistOf(SatisfyAll(
			ContainSubstring(`link "lasting-port"`), ContainSubstring("left it there"))))
		Expect(masterIndexOf(ns, port.Attrs().Index)).To(Equal(other.Attrs().Index))
	})

	DescribeTable("refusing ports it cannot attach, with a clear message",
		func(makeCall func(ns int) func(t testing.TB), reason string) {
			ns := netns.NewTransient()
			call := makeCall(ns)
			rec := &testsupport.Recorder{}
			rec.Run(call)
			Expect(rec.Failures()).To(ConsistOf(SatisfyAll(HavePrefix("cannot enslave link"), ContainSubstring(reason))))
		},
		Entry("a port in another namespace than the bridge", func(ns int) func(t testing.TB) {
			br := bridge.NewTransient(bridge.InNamespace(ns))
			port, _ := veth.NewTransient(veth.InNamespace(netns.NewTransient()), veth.WithPeerNamespace(ns))
			return func(t testing.TB) { bridge.AddPortT(t, br, port) }
		}, "a port must live in its master's namespace"),
		Entry("a nil port", func(ns int) func(t testing.TB) {
			br := bridge.NewTransient(bridge.InNamespace(ns))
			return func(t testing.TB) { bridge.AddPortT(t, br, nil) }
		}, "master or port is nil"),
		Entry("a port that does not exist", func(ns int) func(t testing.TB) {
			br := bridge.NewTransient(bridge.InNamespace(ns))
			ghost := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "ghost", Namespace: netlink.NsFd(ns)}}
			return func(t testing.TB) { bridge.AddPortT(t, br, ghost) }
		}, `port: in network namespace net:[`),
	)
})

var _ = Describe("bridge VLAN filtering", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("switches VLAN filtering on, as the kernel reports back", func() {
		bridge.SkipUnlessVlanFiltering()
		ns := netns.NewTransient()
		br := bridge.NewTransient(bridge.InNamespace(ns), bridge.WithVlanFiltering())

		found, err := netns.NewNetlinkHandle(ns).LinkByIndex(br.Attrs().Index)
		Expect(err).NotTo(HaveOccurred())
		Expect(found.(*netlink.Bridge).VlanFiltering).To(PointTo(BeTrue()))
	})

	It("skips for missing kernel support exactly when creating a filtering bridge fails", func() {
		GinkgoT().Setenv(link.RequireKindsEnv, "")
		ns := netns.NewTransient()
		probe := &testsupport.Recorder{}
		probe.Run(bridge.SkipUnlessVlanFilteringT)
		create := &testsupport.Recorder{}
		create.Run(func(t testing.TB) { bridge.NewTransientT(t, bridge.InNamespace(ns), bridge.WithVlanFiltering()) })

		if len(probe.Skips()) == 0 {
			Expect(create.Failures()).To(BeEmpty())
			return
		}
		Expect(probe.Skips()).To(ConsistOf(
			`kernel does not support bridge-vlan-filtering (creating a "bridge" link with it fails with EOPNOTSUPP)`))
		Expect(create.Failures()).To(ConsistOf(SatisfyAll(
			HavePrefix("cannot create transient link"), ContainSubstring("operation not supported"))))
		Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo"))
	})

	It("fails for missing kernel support instead of skipping when the environment requires it", func() {
		GinkgoT().Setenv(link.RequireKindsEnv, "bridge-vlan-filtering")
		rec := &testsupport.Recorder{}
		rec.Run(bridge.SkipUnlessVlanFilteringT)
		Expect(rec.Skips()).To(BeEmpty())
		Expect(rec.Failures()).To(Or(BeEmpty(), ConsistOf(SatisfyAll(
			HavePrefix("cannot run spec needing bridge-vlan-filtering"),
			ContainSubstring(`SCRATCHNET_REQUIRE_KINDS="bridge-vlan-filtering" requires it`)))))
	})

	It("refuses the option for links other than bridges", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			link.NewTransientT(t, &netlink.Veth{}, "veth-", bridge.WithVlanFiltering())
		})
		Expect(rec.Failures()).To(ConsistOf(ContainSubstring(
			"WithVlanFiltering(): applies to *netlink.Bridge links, not to *netlink.Veth")))
	})
})

var _ = Describe("bridge ports looked up through a bound handle (issue 19)", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("attaches a port and a bridge where their wrappers say they live, and leaves the caller's namespace alone", func() {
		server, caller := netns.NewTransient(), netns.Current()
		before := testsupport.NetState(caller)
		br := bridge.NewTransient(bridge.InNamespace(server))
		end, _ := veth.NewTransient(veth.InNamespace(server), veth.WithPeerNamespace(server))
		port := testsupport.Bound(server, end.Attrs().Name)
		master := testsupport.Bound(server, br.Attrs().Name)
		bridge.AddPort(link.WrapWithLinkNamespace(master, server), link.WrapWithLinkNamespace(port, server))
		Expect(masterIndexOf(server, port.Attrs().Index)).To(Equal(br.Attrs().Index))
		Expect(testsupport.NetState(caller)).To(Equal(before), "the caller's namespace changed")
	})

	It("refuses a bridge that names no namespace, saying how to name it", func() {
		server, caller := netns.NewTransient(), netns.Current()
		before := testsupport.NetState(caller)
		br := bridge.NewTransient(bridge.InNamespace(server))
		end, _ := veth.NewTransient(veth.InNamespace(server), veth.WithPeerNamespace(server))
		master := testsupport.Bound(server, br.Attrs().Name)
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { bridge.AddPortT(t, master, end) })
		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			HavePrefix(fmt.Sprintf(`cannot enslave link %q (index %d) to master %q (index %d), reason: master: it names no network namespace, so it was looked for in the calling thread's network namespace net:[%d], where `,
				end.Attrs().Name, end.Attrs().Index, br.Attrs().Name, br.Attrs().Index, netns.Ino(caller))),
			ContainSubstring("name it with link.WrapWithLinkNamespace(l, nsfd) or l.Attrs().Namespace = netlink.NsFd(nsfd)"))))
		Expect(masterIndexOf(server, end.Attrs().Index)).To(BeZero())
		Expect(testsupport.NetState(caller)).To(Equal(before), "the caller's namespace changed")
	})
})
