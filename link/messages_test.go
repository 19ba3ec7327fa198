package link_test

import (
	"errors"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/macvlan"
	"github.com/scratchnet/scratchnet/netns"
)

var _ = Describe("messages made the reader count or guess: they name options and refuse what would be ignored", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("names the option that failed, not its position among options the library added", func() {
		ns, elsewhere := netns.NewTransient(), netns.NewTransient()
		parent := testsupport.VethParent(elsewhere)
		testsupport.ExpectRefused(func(t testing.TB) {
			macvlan.NewTransientT(t, parent, macvlan.InNamespace(ns))
		}, ns, `cannot create transient link with prefix "mcvl-", reason: parent "`, "use WithLinkNamespace")

		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { macvlan.NewTransientT(t, parent, macvlan.WithLinkNamespace(-1)) })
		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			HavePrefix(`cannot create transient link with prefix "mcvl-", reason: WithLinkNamespace(-1): `),
			Not(ContainSubstring("option")))))
	})

	It("counts only the caller's options when one of the caller's own fails", func() {
		ns := netns.NewTransient()
		parent := testsupport.VethParent(ns)
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			macvlan.NewTransientT(t, parent, macvlan.WithLinkNamespace(ns),
				func(*link.Link) error { return errors.New("no such luck") })
		})
		Expect(rec.Failures()).To(ConsistOf(`cannot create transient link with prefix "mcvl-", reason: option 2: no such luck`))
	})

	It("refuses EnsureUp with more than one duration instead of ignoring the second", func() {
		ns := netns.NewTransient()
		l := link.NewTransient(&netlink.Bridge{}, "br-", link.InNamespace(ns))
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { link.EnsureUpT(t, l, time.Second, 5*time.Second) })
		Expect(rec.Failures()).To(ConsistOf(
			`cannot bring up link "` + l.Attrs().Name + `", reason: EnsureUp takes at most one duration, not 2 ([1s 5s]); to bring up several links, use EnsureAllUp`))
	})
})
