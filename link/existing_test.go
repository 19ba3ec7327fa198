package link_test

import (
	"fmt"
	"net"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/bridge"
	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/macvlan"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

// pairIn creates a veth pair, both ends down, entirely in the namespace ns
// and returns the names of its ends.
func pairIn(ns int) (string, string) {
	GinkgoHelper()
	a, b := veth.NewTransient(veth.InNamespace(ns), veth.WithPeerNamespace(ns))
	return a.Attrs().Name, b.Attrs().Name
}

// wrapped looks the link named name up as a bound handle of ns reports it
// and names ns with the wrapper, as issue 19's user did.
func wrapped(ns int, name string) netlink.Link {
	GinkgoHelper()
	return link.WrapWithLinkNamespace(testsupport.Bound(ns, name), ns)
}

// addrsNamed lists the global addresses of the link named name in ns.
func addrsNamed(ns int, name string) []string {
	GinkgoHelper()
	return addrsOf(ns, byName(ns, name).Attrs().Index)
}

// byName reads the link named name back from ns.
func byName(ns int, name string) netlink.Link {
	GinkgoHelper()
	l, err := netns.NewNetlinkHandle(ns).LinkByName(name)
	Expect(err).NotTo(HaveOccurred())
	return l
}

// refusedUnnamed matches how a helper refuses a link that names no
// namespace and is not found so in the calling thread's namespace, caller.
func refusedUnnamed(caller int) OmegaMatcher {
	return SatisfyAll(
		ContainSubstring(fmt.Sprintf("it names no network namespace, so it was looked for in the calling thread's network namespace net:[%d], where ", netns.Ino(caller))),
		ContainSubstring("name it with link.WrapWithLinkNamespace(l, nsfd) or l.Attrs().Namespace = netlink.NsFd(nsfd)"))
}

var _ = Describe("helpers acting on an existing link act where it lives, never in the caller's namespace (issue 19)", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	var server, caller int
	var callerBefore []string
	BeforeEach(func() {
		server, caller = netns.NewTransient(), netns.Current()
		callerBefore = testsupport.NetState(caller)
	})
	leftCallerAlone := func() {
		GinkgoHelper()
		Expect(testsupport.NetState(caller)).To(Equal(callerBefore), "the caller's namespace changed")
	}

	Describe("AddAddress", func() {
		It("adds to the lo of the namespace its wrapper names, not to the caller's lo", func() {
			link.AddAddress(wrapped(server, "lo"), "192.0.2.10/32")
			Expect(addrsNamed(server, "lo")).To(ContainElement("192.0.2.10/32"))
			Expect(addrsNamed(caller, "lo")).NotTo(ContainElement("192.0.2.10/32"))
			leftCallerAlone()
		})

		It("adds to a link its wrapper names the namespace of", func() {
			a, _ := pairIn(server)
			link.AddAddress(wrapped(server, a), "192.0.2.11/32")
			Expect(addrsNamed(server, a)).To(ContainElement("192.0.2.11/32"))
			leftCallerAlone()
		})

		It("refuses a link from a bound handle that names no namespace, saying how to name it", func() {
			a, _ := pairIn(server)
			bound := testsupport.Bound(server, a)
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) { link.AddAddressT(t, bound, "192.0.2.12/32") })
			Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
				HavePrefix(fmt.Sprintf(`cannot add address 192.0.2.12/32 to link %q (index %d), reason: `, a, bound.Attrs().Index)),
				refusedUnnamed(caller))))
			Expect(addrsNamed(server, a)).NotTo(ContainElement("192.0.2.12/32"))
			leftCallerAlone()
		})

		It("refuses a wrapper naming another namespace than the link's LinkAttrs.Namespace", func() {
			a, _ := veth.NewTransient(veth.InNamespace(server), veth.WithPeerNamespace(server))
			other := netns.NewTransient()
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) { link.AddAddressT(t, link.WrapWithLinkNamespace(a, other), "192.0.2.13/32") })
			Expect(rec.Failures()).To(ConsistOf(fmt.Sprintf(
				`cannot add address 192.0.2.13/32 to link %q (index %d), reason: the wrapper's LinkNamespace names network namespace net:[%d] but its LinkAttrs.Namespace names network namespace net:[%d]; name the one it lives in`,
				a.Attrs().Name, a.Attrs().Index, netns.Ino(other), netns.Ino(server))))
			Expect(addrsNamed(server, a.Attrs().Name)).NotTo(ContainElement("192.0.2.13/32"))
		})

		It("refuses a link whose index belongs to another link where it lives", func() {
			a, _ := veth.NewTransient(veth.InNamespace(server), veth.WithPeerNamespace(server))
			stale := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "gone0", Index: a.Attrs().Index, Namespace: a.Attrs().Namespace}}
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) { link.AddAddressT(t, stale, "192.0.2.14/32") })
			Expect(rec.Failures()).To(ConsistOf(fmt.Sprintf(
				`cannot add address 192.0.2.14/32 to link "gone0" (index %d), reason: in network namespace net:[%d], index %d is link %q`,
				a.Attrs().Index, netns.Ino(server), a.Attrs().Index, a.Attrs().Name)))
			Expect(addrsNamed(server, a.Attrs().Name)).NotTo(ContainElement("192.0.2.14/32"))
		})
	})

	Describe("EnsureUp and EnsureAllUp", func() {
		It("bring up links where their wrapper says they live", func() {
			a, b := pairIn(server)
			link.EnsureAllUp(wrapped(server, a), wrapped(server, b))
			Expect(byName(server, a).Attrs().OperState).To(Equal(netlink.LinkOperState(netlink.OperUp)))
			Expect(byName(server, b).Attrs().OperState).To(Equal(netlink.LinkOperState(netlink.OperUp)))

			br := bridge.NewTransient(bridge.InNamespace(server))
			link.EnsureUp(wrapped(server, br.Attrs().Name))
			Expect(byName(server, br.Attrs().Name).Attrs().Flags & net.FlagUp).NotTo(BeZero())
			leftCallerAlone()
		})

		It("refuse a link from a bound handle that names no namespace, saying how to name it", func() {
			a, b := pairIn(server)
			bound := testsupport.Bound(server, a)
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) { link.EnsureAllUpT(t, bound, wrapped(server, b)) })
			Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
				HavePrefix(fmt.Sprintf(`cannot bring up link %q (index %d), reason: `, a, bound.Attrs().Index)),
				refusedUnnamed(caller))))
			Expect(byName(server, a).Attrs().Flags & net.FlagUp).To(BeZero())
			leftCallerAlone()

			rec = &testsupport.Recorder{}
			rec.Run(func(t testing.TB) { link.EnsureUpT(t, bound) })
			Expect(rec.Failures()).To(ConsistOf(HavePrefix(fmt.Sprintf(`cannot bring up link %q (index %d), reason: it names no network namespace`, a, bound.Attrs().Index))))
			leftCallerAlone()
		})
	})

	Describe("Enslave", func() {
		It("enslaves a port to a master, both where their wrappers say they live", func() {
			a, _ := pairIn(server)
			br := bridge.NewTransient(bridge.InNamespace(server))
			link.Enslave(wrapped(server, br.Attrs().Name), wrapped(server, a))
			Expect(byName(server, a).Attrs().MasterIndex).To(Equal(br.Attrs().Index))
			leftCallerAlone()
		})

		It("refuses a port from a bound handle that names no namespace, saying how to name it", func() {
			a, _ := pairIn(server)
			br := bridge.NewTransient(bridge.InNamespace(server))
			bound := testsupport.Bound(server, a)
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) { link.EnslaveT(t, br, bound) })
			Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
				HavePrefix(fmt.Sprintf(`cannot enslave link %q (index %d) to master %q (index %d), reason: port: `,
					a, bound.Attrs().Index, br.Attrs().Name, br.Attrs().Index)),
				refusedUnnamed(caller))))
			Expect(byName(server, a).Attrs().MasterIndex).To(BeZero())
			leftCallerAlone()
		})
	})

	Describe("a stacked link's parent", func() {
		It("is the one its wrapper names, when the request is sent from there", func() {
			a, _ := pairIn(server)
			parent := wrapped(server, a)
			mv := macvlan.NewTransient(parent, macvlan.InNamespace(server), macvlan.WithLinkNamespace(server))
			Expect(byName(server, mv.Attrs().Name).Attrs().ParentIndex).To(Equal(parent.Attrs().Index))
			leftCallerAlone()
		})

		It("is refused when its wrapper names another namespace than the one the request is sent from", func() {
			a, _ := pairIn(server)
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) { macvlan.NewTransientT(t, wrapped(server, a), macvlan.InNamespace(server)) })
			Expect(rec.Failures()).To(ConsistOf(fmt.Sprintf(
				`cannot create transient link with prefix "mcvl-", reason: parent %q lives in network namespace net:[%d], but would be looked up in network namespace net:[%d]; use WithLinkNamespace`,
				a, netns.Ino(server), netns.Ino(caller))))
			leftCallerAlone()
		})

		It("is refused when it names no namespace and is not in the namespace the request is sent from, saying how to name it", func() {
			a, _ := pairIn(server)
			bound := testsupport.Bound(server, a)
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) { macvlan.NewTransientT(t, bound, macvlan.InNamespace(server)) })
			Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
				HavePrefix(fmt.Sprintf(`cannot create transient link with prefix "mcvl-", reason: parent %q (index %d): `, a, bound.Attrs().Index)),
				refusedUnnamed(caller))))
			leftCallerAlone()
		})

		It("that names no namespace is looked for where the request is sent from, as before", func() {
			a, _ := pairIn(server)
			bound := testsupport.Bound(server, a)
			mv := macvlan.NewTransient(bound, macvlan.InNamespace(server), macvlan.WithLinkNamespace(server))
			Expect(byName(server, mv.Attrs().Name).Attrs().ParentIndex).To(Equal(bound.Attrs().Index))
			leftCallerAlone()
		})
	})

	Describe("Locate", func() {
		It("finds the link in the namespace its wrapper names", func() {
			nsfd, found, err := link.Locate(wrapped(server, "lo"))
			Expect(err).NotTo(HaveOccurred())
			defer unix.Close(nsfd)
			Expect(netns.Ino(nsfd)).To(Equal(netns.Ino(server)))
			Expect(found.Attrs().Name).To(Equal("lo"))
		})
	})
})
