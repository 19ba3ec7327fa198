//go:build bench

package bench_test

import (
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gmeasure"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/fault"
	"github.com/scratchnet/scratchnet/firewall"
	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/impair"
	"github.com/scratchnet/scratchnet/internal/closer"
	"github.com/scratchnet/scratchnet/lab"
)

// The rows of the faults' table, in the order printed.
const (
	rowFP  = "(p) partition {a b} | {c}"
	rowFP0 = "(p0) raw: a drop table in 3 namespaces"
	rowFP1 = "(p1) raw: (p0), sockets closed later"
	rowFF  = "(l) flap a wire end"
	rowFF0 = "(l0) raw: far end down and up"
	rowFR  = "(r) reset tcp :8080 on a host"
	rowFD  = "(t) limit data on a host"
	rowFI  = "(i) impair tcp :8080 on a host (tbf)"
)

var _ = Describe("scratchnet", Serial, func() {

	BeforeEach(func() {
		guard.SkipUnlessPrivileged()
		firewall.SkipUnlessSupported(firewall.RejectRules)
		impair.SkipUnlessSupported("htb")
	})

	It("applies and heals faults in a few milliseconds", func() {
		exp := gmeasure.NewExperiment("faults")
		AddReportEntry(exp.Name, exp)

		// One lab for all iterations: three hosts on a segment, and a
		// wire from c to d. Each iteration applies a fault and heals it,
		// through the Fault's own methods (the kernel's work, without
		// Inject's timeline and cleanup), and checks nothing of it stays.
		l := lab.New()
		a, b, c, d := l.Host("a"), l.Host("b"), l.Host("c"), l.Host("d")
		l.Segment("lan").Attach(a, b, c)
		end, far := l.Connect(c, d)

		// Pairs are measured back to back, in alternating order, and each
		// ratio is the median of the pairs' ratios, as in the suite's
		// other tables.
		ratios := map[string][]float64{}
		pair := func(i int, key string, x, y func() time.Duration) {
			var dx, dy time.Duration
			if i%2 == 0 {
				dx, dy = x(), y()
			} else {
				dy, dx = y(), x()
			}
			ratios[key] = append(ratios[key], float64(dx)/float64(dy))
		}
		// Each measurement starts when the sockets that the library closes
		// in the background (package closer) are closed. Such a close
		// holds the namespace's nftables lock for about an RCU grace
		// period after a deletion anywhere in the kernel, so an apply or
		// heal within that time after the last one in the same namespace
		// waits for it; a spec applies faults 100s of ms apart and does
		// not meet it, a loop of back-to-back pairs would meet it always.
		measure := func(name string, fn func()) time.Duration {
			closer.Wait(time.Second)
			return exp.MeasureDuration(name, fn)
		}
		applyHeal := func(name string, f fault.Fault) func() time.Duration {
			return func() time.Duration {
				return measure(name, func() {
					Expect(f.Apply()).To(Succeed())
					Expect(f.Heal()).To(Succeed())
				})
			}
		}
		partition := applyHeal(rowFP, fault.Partition([]*lab.Host{a, b}, []*lab.Host{c}))
		// The down time outlasts the iteration: Heal plugs the cable back.
		flap := applyHeal(rowFF, fault.Flap(end, time.Hour))
		rawDrop := func() time.Duration {
			return measure(rowFP0, func() {
				for _, h := range []*lab.Host{a, b, c} {
					rawDropTable(h.Netns())
				}
			})
		}
		rawDropLasting := func() time.Duration {
			return measure(rowFP1, func() {
				for _, h := range []*lab.Host{a, b, c} {
					rawDropTableLasting(h.Netns())
				}
			})
		}
		farHandle := d.Handle()
		rawFlap := func() time.Duration {
			return measure(rowFF0, func() {
				Expect(farHandle.LinkSetDown(far.Link)).To(Succeed())
				Expect(farHandle.LinkSetUp(far.Link)).To(Succeed())
			})
		}
		reset := applyHeal(rowFR, fault.Reset(c, fault.Port(8080)))
		limit := applyHeal(rowFD, fault.LimitData(c, 1<<20, fault.Port(8080)))
		port := applyHeal(rowFI, fault.ImpairPort(d, 8080, impair.Rate(10_000_000)))
		for i := range 50 {
			pair(i, "p/p0", partition, rawDrop)
			pair(i, "p/p1", partition, rawDropLasting)
			pair(i, "l/l0", flap, rawFlap)
			pair(i, "r/p0", reset, rawDrop)
			pair(i, "t/r", limit, reset)
			port()
		}
		publish(renderFaultTable(exp, ratios))
	})
})

// rawDropTable adds an inet table with an input chain and one drop rule to
// the namespace, and deletes it again, written directly against
// google/nftables as its examples do: a netlink socket of its own for each
// batch, closed when the batch is acknowledged. Closing a netfilter socket
// after a deletion waits for the kernel to free what was deleted, an RCU
// grace period later: that wait is most of this row.
func rawDropTable(nsfd int) {
	c, err := nftables.New(nftables.WithNetNSFd(nsfd))
	Expect(err).NotTo(HaveOccurred())
	rawDropBatches(c)
}

// rawDropTableLasting is rawDropTable on one lasting socket, whose close is
// left to the background as package firewall does: the floor of a fault's
// nftables work in one namespace.
func rawDropTableLasting(nsfd int) {
	c, err := nftables.New(nftables.AsLasting(), nftables.WithNetNSFd(nsfd))
	Expect(err).NotTo(HaveOccurred())
	defer closer.Close(lastingConn{c})
	rawDropBatches(c)
}

// lastingConn closes a lasting nftables connection as an io.Closer.
type lastingConn struct{ c *nftables.Conn }

func (l lastingConn) Close() error { return l.c.CloseLasting() }

// rawDropBatches sends the batch that adds the table and the one that
// deletes it.
func rawDropBatches(c *nftables.Conn) {
	t := c.AddTable(&nftables.Table{Name: "raw", Family: nftables.TableFamilyINet})
	accept := nftables.ChainPolicyAccept
	ch := c.AddChain(&nftables.Chain{Name: "input", Table: t, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookInput, Priority: nftables.ChainPriorityFilter, Policy: &accept})
	c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.NFPROTO_IPV4}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{10, 9, 9, 9}},
		&expr.Verdict{Kind: expr.VerdictDrop},
	}})
	Expect(c.Flush()).To(Succeed())
	c.DelTable(t)
	Expect(c.Flush()).To(Succeed())
}

func renderFaultTable(exp *gmeasure.Experiment, ratios map[string][]float64) string {
	t := newTable("fault: apply + heal (median)", exp, ratios)
	t.row(rowFP, "(p)/(p0) = %.2f, (p)/(p1) = %.2f, target: a few ms", t.ratio("p/p0"), t.ratio("p/p1"))
	t.row(rowFP0, "")
	t.row(rowFP1, "")
	t.row(rowFF, "(l)/(l0) = %.2f, target: a few ms", t.ratio("l/l0"))
	t.row(rowFF0, "")
	t.row(rowFR, "(r)/(p0) = %.2f", t.ratio("r/p0"))
	t.row(rowFD, "(t)/(r) = %.2f, byte counting's sysctl read and restored", t.ratio("t/r"))
	t.row(rowFI, "")
	return t.String()
}
