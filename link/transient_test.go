package link_test

import (
	"errors"
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	. "github.com/onsi/gomega/gstruct"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
)

var _ = Describe("transient links", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("creates a link in another namespace and returns the index it has there", func() {
		ns := netns.NewTransient()
		tmpl := &netlink.Bridge{}
		br := link.NewTransient(tmpl, "br-", link.InNamespace(ns))
		Expect(br.Attrs().Name).To(MatchRegexp(`^br-[0-9a-zA-Z]{12}$`))
		Expect(br.Attrs().Namespace).To(Equal(netlink.NsFd(ns)))
		inNs, err := netns.NewNetlinkHandle(ns).LinkByName(br.Attrs().Name)
		Expect(err).NotTo(HaveOccurred())
		Expect(br.Attrs().Index).To(Equal(inNs.Attrs().Index))
		Expect(br.Attrs().HardwareAddr).To(Equal(inNs.Attrs().HardwareAddr))
		By("leaving the template untouched")
		Expect(tmpl).To(Equal(&netlink.Bridge{}))
	})

	It("never modifies the template, not even what it points to", func() {
		ns := netns.NewTransient()
		mtu := 1400
		tmpl := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{MTU: mtu, Alias: "keep"}, PeerNamespace: netlink.NsFd(ns)}
		hello := uint32(200)
		brTmpl := &netlink.Bridge{HelloTime: &hello}
		link.NewTransient(tmpl, "veth-", link.InNamespace(ns))
		br := link.NewTransient(brTmpl, "br-", link.InNamespace(ns), link.OptFor("flip", func(b *netlink.Bridge) error {
			*b.HelloTime = 300
			return nil
		}))
		Expect(tmpl.Name).To(BeEmpty())
		Expect(tmpl.PeerName).To(BeEmpty())
		Expect(tmpl.Index).To(BeZero())
		Expect(tmpl.Namespace).To(BeNil())
		Expect(*brTmpl.HelloTime).To(Equal(uint32(200)))
		Expect(*br.(*netlink.Bridge).HelloTime).To(Equal(uint32(300)))
	})

	It("creates in the calling thread's namespace when no namespace is given", func() {
		defer netns.EnterTransient()()
		br := link.NewTransient(&netlink.Bridge{}, "br-")
		Expect(br.Attrs().Namespace).To(BeNil())
		found, err := netlink.LinkByIndex(br.Attrs().Index)
		Expect(err).NotTo(HaveOccurred())
		Expect(found.Attrs().Name).To(Equal(br.Attrs().Name))
	})

	It("deletes the link at cleanup, from another goroutine than the spec's", func() {
		ns := netns.NewTransient()
		rec := &testsupport.Recorder{}
		var name string
		rec.Run(func(t testing.TB) {
			name = link.NewTransientT(t, &netlink.Bridge{}, "br-", link.InNamespace(ns)).Attrs().Name
			Expect(testsupport.LinkNames(ns)).To(ContainElement(name))
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(testsupport.LinkNames(ns)).NotTo(ContainElement(name))
	})

	It("retries with a fresh name when the kernel reports a collision", func() {
		ns := netns.NewTransient()
		// Eleven-character prefixes leave 62^4 names; create enough links
		// that the retry path is at least exercised by chance, and make
		// sure all of them got distinct names.
		names := map[string]bool{}
		for range 20 {
			names[link.NewTransient(&netlink.Bridge{}, "collide-xyz", link.InNamespace(ns)).Attrs().Name] = true
		}
		Expect(names).To(HaveLen(20))
	})

	It("keeps a name the template sets", func() {
		ns := netns.NewTransient()
		br := link.NewTransient(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "fixedname"}}, "br-", link.InNamespace(ns))
		Expect(br.Attrs().Name).To(Equal("fixedname"))
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			link.NewTransientT(t, &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "fixedname"}}, "br-", link.InNamespace(ns))
		})
		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			HavePrefix(`cannot create transient link "fixedname" of type "bridge" in network namespace net:[`),
			ContainSubstring("file exists"))))
	})

	Context("when the spec itself changed the link", func() {

		It("stays quiet when the link is already gone", func() {
			ns := netns.NewTransient()
			h := netns.NewNetlinkHandle(ns)
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) {
				br := link.NewTransientT(t, &netlink.Bridge{}, "br-", link.InNamespace(ns))
				Expect(h.LinkDel(br)).To(Succeed())
			})
			Expect(rec.Failures()).To(BeEmpty())
			Expect(rec.Logs()).To(BeEmpty())
		})

		It("never deletes another link that took the old name", func() {
			ns := netns.NewTransient()
			h := netns.NewNetlinkHandle(ns)
			rec := &testsupport.Recorder{}
			var name string
			rec.Run(func(t testing.TB) {
				br := link.NewTransientT(t, &netlink.Bridge{}, "br-", link.InNamespace(ns))
				name = br.Attrs().Name
				Expect(h.LinkDel(br)).To(Succeed())
				Expect(h.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name}})).To(Succeed())
			})
			Expect(rec.Failures()).To(BeEmpty())
			Expect(rec.Logs()).To(ConsistOf(ContainSubstring("left link %q", name)))
			Expect(testsupport.LinkNames(ns)).To(ContainElement(name))
		})

		It("deletes its link by index when the spec renamed it", func() {
			ns := netns.NewTransient()
			h := netns.NewNetlinkHandle(ns)
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) {
				br := link.NewTransientT(t, &netlink.Bridge{}, "br-", link.InNamespace(ns))
				Expect(h.LinkSetName(br, "renamed")).To(Succeed())
			})
			Expect(rec.Failures()).To(BeEmpty())
			Expect(rec.Logs()).To(ConsistOf(ContainSubstring(`was renamed to "renamed"`)))
			Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo"))
		})

		It("leaves a link alone that the spec moved to another namespace", func() {
			ns, elsewhere := netns.NewTransient(), netns.NewTransient()
			h := netns.NewNetlinkHandle(ns)
			rec := &testsupport.Recorder{}
			var name string
			rec.Run(func(t testing.TB) {
				// Bridges cannot change namespace (NETIF_F_NETNS_LOCAL); veths can.
				v := link.NewTransientT(t, &netlink.Veth{PeerNamespace: netlink.NsFd(ns)}, "veth-", link.InNamespace(ns))
				name = v.Attrs().Name
				Expect(h.LinkSetNsFd(v, elsewhere)).To(Succeed())
			})
			Expect(rec.Failures()).To(BeEmpty())
			Expect(testsupport.LinkNames(elsewhere)).To(ContainElement(name))
		})
	})

	DescribeTable("refusing bad input with a clear message and no side effect",
		func(makeCall func(ns int) func(t testing.TB), reason string) {
			ns := netns.NewTransient()
			call := makeCall(ns)
			rec := &testsupport.Recorder{}
			rec.Run(call)
			Expect(rec.Failures()).To(ConsistOf(SatisfyAll(HavePrefix("cannot "), ContainSubstring(reason))))
			Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo"))
		},
		Entry("nil template", func(ns int) func(t testing.TB) {
			return func(t testing.TB) { link.NewTransientT(t, nil, "br-", link.InNamespace(ns)) }
		}, "link template is nil"),
		Entry("typed nil template", func(ns int) func(t testing.TB) {
			return func(t testing.TB) { link.NewTransientT(t, (*netlink.Bridge)(nil), "br-", link.InNamespace(ns)) }
		}, "link template is nil"),
		Entry("prefix too long", func(ns int) func(t testing.TB) {
			return func(t testing.TB) { link.NewTransientT(t, &netlink.Bridge{}, "waytoolongprefix", link.InNamespace(ns)) }
		}, "at most 11"),
		Entry("Namespace of an unsupported type", func(ns int) func(t testing.TB) {
			return func(t testing.TB) {
				link.NewTransientT(t, &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Namespace: netlink.NsPid(1)}}, "br-")
			}
		}, "LinkAttrs.Namespace must be nil or a netlink.NsFd, not a netlink.NsPid"),
		Entry("negative namespace fd", func(ns int) func(t testing.TB) {
			return func(t testing.TB) { link.NewTransientT(t, &netlink.Bridge{}, "br-", link.InNamespace(-1)) }
		}, "invalid file descriptor -1"),
		Entry("namespace fd of /dev/null", func(ns int) func(t testing.TB) {
			f, err := os.Open(os.DevNull)
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(f.Close)
			return func(t testing.TB) { link.NewTransientT(t, &netlink.Bridge{}, "br-", link.InNamespace(int(f.Fd()))) }
		}, "is not a namespace reference"),
		Entry("mount namespace fd as link namespace", func(ns int) func(t testing.TB) {
			f, err := os.Open("/proc/self/ns/mnt")
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(f.Close)
			return func(t testing.TB) {
				link.NewTransientT(t, &netlink.Bridge{}, "br-", link.InNamespace(ns), link.WithLinkNamespace(int(f.Fd())))
			}
		}, "refers to a mount namespace"),
		Entry("an option that returns an error", func(ns int) func(t testing.TB) {
			return func(t testing.TB) {
				link.NewTransientT(t, &netlink.Bridge{}, "br-", link.InNamespace(ns),
					func(*link.Link) error { return errors.New("no such luck") })
			}
		}, "option 2: no such luck"),
		Entry("a nil option", func(ns int) func(t testing.TB) {
			return func(t testing.TB) { link.NewTransientT(t, &netlink.Bridge{}, "br-", nil, link.InNamespace(ns)) }
		}, "option 1 is nil"),
		Entry("an option for another kind", func(ns int) func(t testing.TB) {
			return func(t testing.TB) {
				link.NewTransientT(t, &netlink.Bridge{}, "br-", link.InNamespace(ns),
					link.OptFor("WithPeerThing", func(*netlink.Veth) error { return nil }))
			}
		}, "WithPeerThing: applies to *netlink.Veth links, not to *netlink.Bridge"),
		Entry("a link kind the kernel does not know", func(ns int) func(t testing.TB) {
			return func(t testing.TB) {
				link.NewTransientT(t, &netlink.GenericLink{LinkType: "nosuchkind"}, "nsk-", link.InNamespace(ns))
			}
		}, `kernel does not support link type "nosuchkind"`),
	)
})

var _ = Describe("bringing links up", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("brings up both ends of a veth pair living in other namespaces", func() {
		left, right := netns.NewTransient(), netns.NewTransient()
		dupond := link.NewTransient(&netlink.Veth{PeerNamespace: netlink.NsFd(right)}, "veth-", link.InNamespace(left))
		peerName := dupond.(*netlink.Veth).PeerName
		dupont, err := netns.NewNetlinkHandle(right).LinkByName(peerName)
		Expect(err).NotTo(HaveOccurred())
		dupont.Attrs().Namespace = netlink.NsFd(right)
		link.EnsureAllUp(dupond, dupont)
		for ns, name := range map[int]string{left: dupond.Attrs().Name, right: peerName} {
			l, err := netns.NewNetlinkHandle(ns).LinkByName(name)
			Expect(err).NotTo(HaveOccurred())
			Expect(l.Attrs().OperState).To(Equal(netlink.LinkOperState(netlink.OperUp)))
		}
	})

	It("brings up a single link on its own, waiting for the kernel's notification", func() {
		ns := netns.NewTransient()
		br := link.NewTransient(&netlink.Bridge{}, "br-", link.InNamespace(ns))
		link.EnsureUp(br)
		l, err := netns.NewNetlinkHandle(ns).LinkByIndex(br.Attrs().Index)
		Expect(err).NotTo(HaveOccurred())
		Expect(l.Attrs().OperState).To(BeElementOf(
			netlink.LinkOperState(netlink.OperUp), netlink.LinkOperState(netlink.OperUnknown)))
	})

	It("fails naming the operational state when the link cannot come up in time", func() {
		ns := netns.NewTransient()
		// The peer stays down, so this end never gets a carrier; its state
		// reads "lower-layer-down" or "down" on recent kernels, and may
		// still read "unknown" on older ones (Debian's 6.1).
		dupond := link.NewTransient(&netlink.Veth{PeerNamespace: netlink.NsFd(ns)}, "veth-", link.InNamespace(ns))
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { link.EnsureUpT(t, dupond, 100*time.Millisecond) })
		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			HavePrefix("cannot bring up link "+`"`+dupond.Attrs().Name+`"`),
			MatchRegexp(`operational state still "(lower-layer-down|down|unknown)" after 100ms`),
			ContainSubstring("its veth peer is down"))))
	})

	It("fails clearly for a link that does not exist", func() {
		ns := netns.NewTransient()
		rec := &testsupport.Recorder{}
		ghost := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "ghost", Namespace: netlink.NsFd(ns)}}
		rec.Run(func(t testing.TB) { link.EnsureUpT(t, ghost) })
		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			HavePrefix(`cannot bring up link "ghost", reason: in network namespace net:[`),
			HaveSuffix(`no link is named "ghost"`))))
	})
})

var _ = Describe("kernel support for link kinds", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("lets a spec go on when the kernel has the kind", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { link.SkipUnlessSupportedT(t, "veth") })
		Expect(rec.Skips()).To(BeEmpty())
		Expect(rec.Failures()).To(BeEmpty())
	})

	It("skips a spec with the kernel-support message when the kernel lacks the kind", func() {
		GinkgoT().Setenv(link.RequireKindsEnv, "")
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { link.SkipUnlessSupportedT(t, "nosuchkind") })
		Expect(rec.Skips()).To(ConsistOf(HavePrefix(`kernel does not support link type "nosuchkind"`)))
	})

	It("fails instead of skipping when the environment requires the kind", func() {
		for _, req := range []string{"all", "veth,nosuchkind"} {
			GinkgoT().Setenv(link.RequireKindsEnv, req)
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) { link.SkipUnlessSupportedT(t, "nosuchkind") })
			Expect(rec.Skips()).To(BeEmpty())
			Expect(rec.Failures()).To(ConsistOf(ContainSubstring(`kernel does not support link type "nosuchkind"`)))
		}
	})
})

var _ = Describe("wrapping links with their link namespace", func() {

	It("wraps, unwraps and leaves wrapped links alone", func() {
		br := &netlink.Bridge{}
		w := link.WrapWithLinkNamespace(br, 42)
		Expect(w).To(PointTo(MatchFields(IgnoreExtras, Fields{"LinkNamespace": Equal(netlink.NsFd(42))})))
		plain, ns := link.Unwrap(w)
		Expect(plain).To(BeIdenticalTo(br))
		Expect(ns).To(Equal(netlink.NsFd(42)))
		Expect(link.EnsureWrap(w)).To(BeIdenticalTo(w))
		plain, ns = link.Unwrap(link.EnsureWrap(br))
		Expect(plain).To(BeIdenticalTo(br))
		Expect(ns).To(BeNil())
	})

	It("resolves references in the link namespace", func() {
		guard.SkipUnlessPrivileged()
		parentNs, ns := netns.NewTransient(), netns.NewTransient()
		parent := link.NewTransient(&netlink.Veth{PeerNamespace: netlink.NsFd(parentNs)}, "veth-", link.InNamespace(parentNs))
		mcvl := link.NewTransient(
			link.WrapWithLinkNamespace(&netlink.Macvlan{LinkAttrs: netlink.LinkAttrs{ParentIndex: parent.Attrs().Index}}, parentNs),
			"mcvl-", link.InNamespace(ns))
		found, err := netns.NewNetlinkHandle(ns).LinkByIndex(mcvl.Attrs().Index)
		Expect(err).NotTo(HaveOccurred())
		Expect(found.Type()).To(Equal("macvlan"))
		Expect(found.Attrs().Name).To(Equal(mcvl.Attrs().Name))
	})
})
