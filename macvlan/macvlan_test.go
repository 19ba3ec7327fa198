package macvlan_test

import (
	"errors"
	"net"
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/macvlan"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

const nameRE = `^mcvl-[0-9a-zA-Z]{10}$`

// readBack reads the link back as the kernel reports it in ns.
var readBack = testsupport.ReadBack[*netlink.Macvlan]

// parentIn creates a veth pair with both ends in the namespace nsfd refers to
// and returns one end to stack macvlans on.
func parentIn(nsfd int) netlink.Link {
	GinkgoHelper()
	parent, _ := veth.NewTransient(veth.InNamespace(nsfd), veth.WithPeerNamespace(nsfd))
	return parent
}

var _ = Describe("transient macvlans", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	DescribeTable("stacks a macvlan on a parent in the calling thread's namespace, in the mode asked for",
		func(mode netlink.MacvlanMode, opts ...macvlan.Opt) {
			defer netns.EnterTransient()()
			here := netns.Current()
			parent, _ := veth.NewTransient()

			m := macvlan.NewTransient(parent, opts...)

			Expect(m.Attrs().Name).To(MatchRegexp(nameRE))
			Expect(m.Attrs().Namespace).To(BeNil())
			got := readBack(here, m)
			Expect(got.Mode).To(Equal(mode))
			Expect(got.Attrs().ParentIndex).To(Equal(parent.Attrs().Index))
		},
		Entry("bridge by default", netlink.MACVLAN_MODE_BRIDGE),
		Entry("private with WithMode", netlink.MACVLAN_MODE_PRIVATE, macvlan.WithMode(netlink.MACVLAN_MODE_PRIVATE)),
	)

	It("stacks a macvlan on a parent in another namespace with WithLinkNamespace and puts it where InNamespace says", func() {
		parentNs, ns := netns.NewTransient(), netns.NewTransient()
		parent := parentIn(parentNs)
		// Make the macvlan's index in ns differ from both veth ends' in parentNs.
		Expect(netns.NewNetlinkHandle(ns).LinkAdd(&netlink.Veth{
			LinkAttrs: netlink.LinkAttrs{Name: "decoy-a"}, PeerName: "decoy-b",
		})).To(Succeed())

		m := macvlan.NewTransient(parent, macvlan.WithLinkNamespace(parentNs), macvlan.InNamespace(ns))

		Expect(m.Attrs().Namespace).To(Equal(netlink.NsFd(ns)))
		got := readBack(ns, m)
		Expect(got.Mode).To(Equal(netlink.MACVLAN_MODE_BRIDGE))
		// A parent in another namespace is reported by its index there,
		// together with the nsid of that namespace as ns knows it.
		Expect(got.Attrs().ParentIndex).To(Equal(parent.Attrs().Index))
		var parentNsID int
		netns.Execute(ns, func() { parentNsID = netns.NsID(parentNs) })
		Expect(got.Attrs().NetNsID).To(Equal(parentNsID))
		Expect(testsupport.LinkNames(parentNs)).NotTo(ContainElement(m.Attrs().Name))
	})

	It("refuses a parent in another namespace without WithLinkNamespace, and creates nothing", func() {
		parentNs, ns := netns.NewTransient(), netns.NewTransient()
		parent := parentIn(parentNs)
		parentLinks := testsupport.LinkNames(parentNs)
		host := testsupport.HostSnapshot()

		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			macvlan.NewTransientT(t, parent, macvlan.InNamespace(ns))
			t.Errorf("NewTransientT returned")
		})

		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			HavePrefix("cannot create transient link"),
			ContainSubstring(`parent "`+parent.Attrs().Name+`"`),
			ContainSubstring("use WithLinkNamespace"))))
		Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo"))
		Expect(testsupport.LinkNames(parentNs)).To(ConsistOf(parentLinks))
		Expect(testsupport.HostSnapshot()).To(Equal(host))
	})

	It("deletes the macvlan at cleanup and leaves its parent alone", func() {
		ns := netns.NewTransient()
		parent := parentIn(ns)
		var name string

		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			m := macvlan.NewTransientT(t, parent, macvlan.WithLinkNamespace(ns))
			name = m.Attrs().Name
			Expect(m.Attrs().Namespace).To(Equal(netlink.NsFd(ns)))
			readBack(ns, m)
		})

		Expect(rec.Failures()).To(BeEmpty())
		Expect(rec.Logs()).To(BeEmpty())
		Expect(name).To(MatchRegexp(nameRE))
		Expect(testsupport.LinkNames(ns)).NotTo(ContainElement(name))
		Expect(testsupport.LinkNames(ns)).To(ContainElement(parent.Attrs().Name))
	})
})

var _ = Describe("refusing bad macvlan modes", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("refuses WithMode for a link of another kind, and creates nothing", func() {
		ns := netns.NewTransient()

		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			link.NewTransientT(t, &netlink.Veth{}, veth.VethPrefix,
				link.InNamespace(ns), veth.WithPeerNamespace(ns), macvlan.WithMode(netlink.MACVLAN_MODE_PRIVATE))
			t.Errorf("NewTransientT returned")
		})

		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			HavePrefix(`cannot create transient link with prefix "veth-"`),
			Not(ContainSubstring("option")),
			ContainSubstring("WithMode(1): applies to *netlink.Macvlan links, not to *netlink.Veth"))))
		Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo"))
	})

	It("refuses a mode netlink does not know, and creates nothing", func() {
		ns := netns.NewTransient()
		parent := &netlink.Device{LinkAttrs: netlink.LinkAttrs{Name: "lo", Index: 1}}

		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			macvlan.NewTransientT(t, parent, macvlan.WithLinkNamespace(ns), macvlan.WithMode(42))
			t.Errorf("NewTransientT returned")
		})

		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			HavePrefix("cannot create transient link"),
			ContainSubstring("unknown macvlan mode 42"))))
		Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo"))
	})
})

var _ = Describe("locating a hardware parent", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("finds none in a fresh namespace", func() {
		ns := netns.NewTransient()

		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			netns.ExecuteT(t, ns, func() {
				macvlan.LocateHWParentT(t)
				t.Errorf("LocateHWParentT returned")
			})
		})

		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			HavePrefix("cannot locate a hardware parent interface"),
			ContainSubstring(`no interface of type "device" other than lo is up`))))
	})

	It("finds an UP or UNKNOWN device in the host namespace where there is one, and says so where not", func() {
		// Read-only: the host namespace is only listed, never changed.
		all, up := hostCandidates()

		var found netlink.Link
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { found = macvlan.LocateHWParentT(t) })

		if len(all) > 0 {
			By("returning one of the host's devices, preferring one that is UP")
			Expect(rec.Failures()).To(BeEmpty())
			Expect(found).NotTo(BeNil())
			Expect(found.Type()).To(Equal("device"))
			Expect(found.Attrs().Flags & net.FlagLoopback).To(BeZero())
			Expect(found.Attrs().OperState).To(BeElementOf(
				netlink.LinkOperState(netlink.OperUp), netlink.LinkOperState(netlink.OperUnknown)))
			if len(up) > 0 {
				Expect(found.Attrs().Name).To(BeElementOf(up))
			} else {
				Expect(found.Attrs().Name).To(BeElementOf(all))
			}
		} else {
			By("saying that the host has no such device")
			Expect(found).To(BeNil())
			Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
				HavePrefix("cannot locate a hardware parent interface"),
				ContainSubstring(`no interface of type "device" other than lo is up`))))
		}
	})
})

// hostHandle returns a netlink handle for the host (process) namespace, to
// read it whatever thread the caller runs on.
func hostHandle() *netlink.Handle {
	GinkgoHelper()
	f, err := os.Open("/proc/self/ns/net")
	Expect(err).NotTo(HaveOccurred())
	defer f.Close()
	return netns.NewNetlinkHandle(int(f.Fd()))
}

// hostCandidates lists, read-only, the host namespace's links that qualify
// as hardware parents, and those of them that are UP.
func hostCandidates() (all, up []string) {
	GinkgoHelper()
	h := hostHandle()
	links, err := h.LinkList()
	for i := 0; i < 10 && errors.Is(err, netlink.ErrDumpInterrupted); i++ {
		links, err = h.LinkList()
	}
	Expect(err).NotTo(HaveOccurred())
	for _, l := range links {
		a := l.Attrs()
		if l.Type() != "device" || a.Flags&net.FlagLoopback != 0 {
			continue
		}
		switch a.OperState {
		case netlink.OperUp:
			up = append(up, a.Name)
			all = append(all, a.Name)
		case netlink.OperUnknown:
			all = append(all, a.Name)
		}
	}
	return all, up
}
