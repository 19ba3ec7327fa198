package link_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
)

var _ = Describe("guarantee: cleanup touches only what the library created", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	// meddle is what a spec does to its transient veth (named name, index
	// index, in ns) before cleanup; elsewhere is a second namespace. It
	// returns the links that cleanup must leave alone, by namespace.
	type meddle func(h, elsewhereH *netlink.Handle, v netlink.Link, ns, elsewhere int) map[int][]string

	// newVeth is a foreign link of the same kind, made behind the
	// library's back.
	newVeth := func(h *netlink.Handle, name, peer string, index int) {
		GinkgoHelper()
		Expect(h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name, Index: index}, PeerName: peer})).To(Succeed())
	}

	DescribeTable("what cleanup finds after the spec changed its link",
		func(change meddle, logged string) {
			ns, elsewhere := netns.NewTransient(), netns.NewTransient()
			h, elsewhereH := netns.NewNetlinkHandle(ns), netns.NewNetlinkHandle(elsewhere)
			rec := &testsupport.Recorder{}
			var keep map[int][]string
			rec.Run(func(t testing.TB) {
				v := link.NewTransientT(t, &netlink.Veth{PeerNamespace: netlink.NsFd(ns)}, "veth-", link.InNamespace(ns))
				keep = change(h, elsewhereH, v, ns, elsewhere)
			})
			Expect(rec.Failures()).To(BeEmpty())
			if logged == "" {
				Expect(rec.Logs()).To(BeEmpty())
			} else {
				Expect(rec.Logs()).To(ConsistOf(ContainSubstring(logged)))
			}
			By("leaving every link the spec made alone, and deleting the transient one")
			Expect(testsupport.LinkNames(ns)).To(ConsistOf(append([]string{"lo"}, keep[ns]...)))
			Expect(testsupport.LinkNames(elsewhere)).To(ConsistOf(append([]string{"lo"}, keep[elsewhere]...)))
		},
		Entry("deleted by the spec: quiet",
			meddle(func(h, _ *netlink.Handle, v netlink.Link, ns, _ int) map[int][]string {
				Expect(h.LinkDel(v)).To(Succeed())
				return nil
			}), ""),
		Entry("deleted, and a new link took its name: that link stays",
			meddle(func(h, _ *netlink.Handle, v netlink.Link, ns, _ int) map[int][]string {
				Expect(h.LinkDel(v)).To(Succeed())
				newVeth(h, v.Attrs().Name, "newcomer-peer", 0)
				return map[int][]string{ns: {v.Attrs().Name, "newcomer-peer"}}
			}), "that now has its name alone"),
		Entry("deleted, and a link of another kind took its index: that link stays",
			meddle(func(h, _ *netlink.Handle, v netlink.Link, ns, _ int) map[int][]string {
				Expect(h.LinkDel(v)).To(Succeed())
				Expect(h.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "squatter", Index: v.Attrs().Index}})).To(Succeed())
				return map[int][]string{ns: {"squatter"}}
			}), `now belongs to link "squatter" of type "bridge"`),
		Entry("deleted, and a link of the same kind took its index under another name: that link stays",
			meddle(func(h, _ *netlink.Handle, v netlink.Link, ns, _ int) map[int][]string {
				Expect(h.LinkDel(v)).To(Succeed())
				newVeth(h, "squatter", "squatter-peer", v.Attrs().Index)
				return map[int][]string{ns: {"squatter", "squatter-peer"}}
			}), `now belongs to link "squatter" (`),
		Entry("renamed: deleted by index, saying so",
			meddle(func(h, _ *netlink.Handle, v netlink.Link, ns, _ int) map[int][]string {
				Expect(h.LinkSetName(v, "renamed")).To(Succeed())
				return nil
			}), `was renamed to "renamed"`),
		Entry("renamed, and a new link took the old name: that link stays",
			meddle(func(h, _ *netlink.Handle, v netlink.Link, ns, _ int) map[int][]string {
				Expect(h.LinkSetName(v, "renamed")).To(Succeed())
				newVeth(h, v.Attrs().Name, "newcomer-peer", 0)
				return map[int][]string{ns: {v.Attrs().Name, "newcomer-peer"}}
			}), `was renamed to "renamed"`),
		Entry("moved into another namespace: left there",
			meddle(func(h, _ *netlink.Handle, v netlink.Link, ns, elsewhere int) map[int][]string {
				peer := v.(*netlink.Veth).PeerName
				Expect(h.LinkSetNsFd(v, elsewhere)).To(Succeed())
				return map[int][]string{ns: {peer}, elsewhere: {v.Attrs().Name}}
			}), ""),
		Entry("moved, and a new link took its name: both stay",
			meddle(func(h, _ *netlink.Handle, v netlink.Link, ns, elsewhere int) map[int][]string {
				peer := v.(*netlink.Veth).PeerName
				Expect(h.LinkSetNsFd(v, elsewhere)).To(Succeed())
				newVeth(h, v.Attrs().Name, "newcomer-peer", 0)
				return map[int][]string{ns: {peer, v.Attrs().Name, "newcomer-peer"}, elsewhere: {v.Attrs().Name}}
			}), "that now has its name alone"),
	)
})
