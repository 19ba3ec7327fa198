package lab

import (
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/diag"
)

var _ = Describe("failure reports of big labs", func() {

	It("find the hosts a failure message names as whole names", func() {
		msg := `expected network namespace "h7" (net:[4026532307]) to reach host h250 by ICMP; h25x h2500 xh2 h2:lan`
		for _, name := range []string{"h7", "h250", "h2"} {
			Expect(namedIn(msg, name)).To(BeTrue(), name)
		}
		for _, name := range []string{"h25", "h1", "h70", "h"} {
			Expect(namedIn(msg, name)).To(BeFalse(), name)
		}
	})

	It("hold a segment of 300 members attached at once, and stay bounded, describing only the hosts the failure names, in natural order", Label("big"), func() {
		guard.SkipUnlessPrivileged()
		l := New()
		hosts := make([]*Host, 300)
		for n := range hosts {
			hosts[n] = l.Host(fmt.Sprintf("h%d", n+1))
		}
		lan := l.Segment("lan") // 10.0.1.0/24, until 300 members come at once
		lan.Attach(hosts...)
		h1, h7, h250, h300 := hosts[0], hosts[6], hosts[249], hosts[299]
		Expect(lan.Iface(h1).IPv4.String()).To(Equal("10.0.2.1/23"))
		Expect(lan.Iface(h300).IPv4.String()).To(Equal("10.0.3.44/23"))
		Expect(h300).To(Reach(h1, IPv4()))
		Expect(h1).To(Reach(h300, IPv6()))

		// A real failure message: of a matcher that expects h250 not to be
		// reachable from h7.
		failures := InterceptGomegaFailures(func() { Expect(h250).NotTo(Reach(h7, IPv4())) })
		Expect(failures).To(HaveLen(1))
		report := diag.Render(l.report(failures[0]))

		lines := strings.Split(strings.TrimSuffix(report, "\n"), "\n")
		Expect(len(lines)).To(BeNumerically("<", 200), report)
		Expect(report).To(ContainSubstring("topology\n  hosts: h7, h250, and 298 more; segments: lan\n"))
		Expect(report).To(MatchRegexp(`(?s)\n    ├─ h7:lan 10\.0\.2\.7/23 \S+\n    ├─ h250:lan 10\.0\.2\.250/23 \S+\n    └─ \.\.\. and 298 more members\n`))
		Expect(report).To(MatchRegexp(`(?s)\nhost h7 \(network namespace.*\nhost h250 \(network namespace.*\nsegment lan \(network namespace`))
		Expect(report).NotTo(ContainSubstring("host h1 ("))
		// The segment's namespace shows the bridge and the two hosts' ports.
		Expect(report).To(MatchRegexp(`\n  \d+: h7 \(veth\)`))
		Expect(report).To(ContainSubstring("\n  ... and 298 more links\n"))
		// Sysctls per port, in natural order too.
		Expect(report).To(MatchRegexp(`\n    h7: +ipv4 .*\n    h250: +ipv4 `))
		Expect(report).To(HaveSuffix("described above: 2 of 300 hosts and 1 of 1 segments, those of the hosts that the failure message names or Lab.ReportInFull marks\n"))
	})
})
