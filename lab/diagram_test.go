package lab_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/firewall"
	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/impair"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/lab"
)

// marked builds a lab of two hosts, a router and a segment, with a NAT
// mark on the router and an impairment mark on one wire end.
func marked(l *lab.Lab) {
	alice, router, bob := l.Host("alice"), l.Router("router"), l.Host("bob")
	l.Connect(alice, router)
	bobEnd, _ := l.Connect(bob, router)
	l.Segment("lan").Attach(alice, bob)
	router.Note("NAT: masquerade towards bob")
	bobEnd.Note("delay 20ms")
}

var _ = Describe("lab diagrams", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("draw hosts, routers, wires with each end's interface and addresses, segments and marks as text", func() {
		l := lab.New()
		marked(l)
		Expect(l.Diagram()).To(Equal(`topology
  hosts: alice, bob; routers: router [NAT: masquerade towards bob]; segments: lan
  alice:router 10.0.1.1/24 fd00:0:0:1::1/64            ─── router:alice 10.0.1.2/24 fd00:0:0:1::2/64
  bob:router 10.0.2.1/24 fd00:0:0:2::1/64 [delay 20ms] ─── router:bob 10.0.2.2/24 fd00:0:0:2::2/64
  segment lan (bridge lan in a namespace of its own)
    ├─ alice:lan 10.0.3.1/24 fd00:0:0:3::1/64
    └─ bob:lan 10.0.3.2/24 fd00:0:0:3::2/64
`))
	})

	It("draw the same as a Mermaid flowchart, impaired wires dotted", func() {
		l := lab.New()
		marked(l)
		Expect(l.Mermaid()).To(Equal(`flowchart LR
  h0["alice"]
  h1["bob"]
  h2{{"router [NAT: masquerade towards bob]"}}
  h0 ---|"alice:router 10.0.1.1/24 fd00:0:0:1::1/64<br/>router:alice 10.0.1.2/24 fd00:0:0:1::2/64"| h2
  h1 -.-|"bob:router 10.0.2.1/24 fd00:0:0:2::1/64 [delay 20ms]<br/>router:bob 10.0.2.2/24 fd00:0:0:2::2/64"| h2
  s0(("segment lan"))
  h0 ---|"alice:lan 10.0.3.1/24 fd00:0:0:3::1/64"| s0
  h1 ---|"bob:lan 10.0.3.2/24 fd00:0:0:3::2/64"| s0
`))
	})

	It("begin the lab's failure report", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			marked(lab.NewT(t))
			t.Errorf("something went wrong")
		})
		Expect(rec.Logs()).To(ConsistOf(MatchRegexp(
			`^scratchnet lab \(created at .*/lab/diagram_test\.go:\d+\)\ntopology\n  hosts: alice, bob; routers: router \[NAT: masquerade towards bob\]; segments: lan\n(.*\n)*host alice \(network namespace`)))
	})
})

var _ = Describe("lab diagrams and reports of numbered hosts", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("list hosts in natural order, h2 before h10, in the diagram and the report", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			l := lab.NewT(t)
			h10, h2, h1 := l.Host("h10"), l.Host("h2"), l.Host("h1")
			l.Connect(h1, h10)
			l.Connect(h1, h2)
			Expect(l.Diagram()).To(HavePrefix("topology\n  hosts: h1, h2, h10\n"))
			t.Errorf("something went wrong")
		})
		Expect(rec.Logs()).To(ConsistOf(MatchRegexp(`(?s)\nhost h1 \(network.*\nhost h2 \(network.*\nhost h10 \(network`)))
	})
})

var _ = Describe("lab diagrams of realistic labs", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("mark a NAT router and an impaired wire end as they are now", func() {
		impair.SkipUnlessSupported("tbf")
		firewall.SkipUnlessSupported(firewall.NAT)
		l := lab.New()
		alice, nat, server := l.Host("alice"), l.Router("nat"), l.Host("server")
		l.Connect(alice, nat)
		outside, _ := l.Connect(nat, server)
		nat.NAT(outside)
		outside.Impair(impair.Rate(10_000_000))
		Expect(l.Diagram()).To(SatisfyAll(
			ContainSubstring("routers: nat [NAT: masquerade towards server]"),
			MatchRegexp(`nat:server 10\.0\.2\.1/24 fd00:0:0:2::1/64 \[[^]]*tbf[^]]*\]`)))
		outside.Impairment().Remove()
		Expect(l.Diagram()).NotTo(ContainSubstring("tbf"))
	})
})

var _ = Describe("lab reports of big labs", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("describe the hosts ReportInFull marks and count the rest, wires included", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			l := lab.NewT(t)
			tree := l.Tree(2, 4) // 5 routers and 16 hosts: more than a report describes in full
			l.ReportInFull(tree.Hosts[9])
			t.Errorf("something went wrong")
		})
		Expect(rec.Logs()).To(ConsistOf(SatisfyAll(
			ContainSubstring("\ntopology\n  hosts: h10, and 15 more; routers: 5\n  r4:h10 10.0.14.1/24 fd00:0:0:e::1/64 ─── h10:r4 10.0.14.2/24 fd00:0:0:e::2/64\n  ... and 19 more wires\n"),
			ContainSubstring("\nhost h10 (network namespace"),
			Not(ContainSubstring("\nhost h9 (")),
			HaveSuffix("described above: 1 of 21 hosts, those of the hosts that the failure message names or Lab.ReportInFull marks\n"))))
	})
})
