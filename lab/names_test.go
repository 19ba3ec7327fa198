package lab_test

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/lab"
	"github.com/scratchnet/scratchnet/netns"
)

// named is how failures name the namespace fd refers to, given name, as a
// regular expression.
func named(t testing.TB, name string, fd int) string {
	return regexp.QuoteMeta(fmt.Sprintf(`network namespace %q (net:[%d])`, name, netns.InoT(t, fd)))
}

var _ = Describe("hosts were named by inode in failures, and users mapped inodes to hosts by hand: every failure about a host's namespace names the host", func() {
	BeforeEach(guard.SkipUnlessPrivileged)

	type topology struct {
		alice, bob *lab.Host
		lan        *lab.Segment
	}
	quick := netns.WithTimeout(50 * time.Millisecond)

	DescribeTable("names the host, or the segment, in the failure",
		func(want func(t testing.TB, top topology) string, call func(t testing.TB, top topology)) {
			rec := &testsupport.Recorder{}
			var pattern string
			rec.Run(func(t testing.TB) {
				l := lab.NewT(t)
				top := topology{alice: l.Host("alice"), bob: l.Router("bob"), lan: l.Segment("lan")}
				top.lan.Attach(top.alice, top.bob)
				pattern = want(t, top)
				call(t, top)
			})
			Expect(rec.Failures()).To(ConsistOf(MatchRegexp(pattern)))
		},
		Entry("of Host.WaitListening",
			func(t testing.TB, top topology) string {
				return "^cannot wait for a udp listener on port 51820 in " + named(t, "alice", top.alice.Netns()) + ", reason: nothing listened within 50ms$"
			},
			func(_ testing.TB, top topology) { top.alice.WaitListening("udp", 51820, quick) }),
		Entry("of Host.Sysctl",
			func(t testing.TB, top topology) string {
				return `^cannot set sysctl "net\.ipv4\.no_such_knob" to "1" in ` + named(t, "alice", top.alice.Netns()) + ", reason: "
			},
			func(_ testing.TB, top topology) { top.alice.Sysctl("net.ipv4.no_such_knob", "1") }),
		Entry("of Host.Execute's work",
			func(t testing.TB, top topology) string {
				return "^cannot wait for a tcp listener on port 80 in " + named(t, "bob", top.bob.Netns()) + ", reason: nothing listened within 50ms$"
			},
			func(t testing.TB, top topology) {
				top.bob.Execute(func() { netns.WaitListeningT(t, netns.CurrentT(t), "tcp", 80, quick) })
			}),
		Entry("of a process of the host that outlives its Wait",
			func(testing.TB, topology) string {
				return `^cannot wait for process \d+ \(http-server 127\.0\.0\.1:8080 hi\) in host "alice" to end, reason: it still ran after 50ms`
			},
			func(_ testing.TB, top topology) {
				top.alice.Start(httpServer("127.0.0.1:8080", "hi")).Wait(quick)
			}),
		Entry("of a helper of another package given a router's namespace",
			func(t testing.TB, top topology) string {
				return `^cannot read sysctl "net\.ipv4\.no_such_knob" in ` + named(t, "bob", top.bob.Netns()) + ", reason: "
			},
			func(t testing.TB, top topology) { netns.SysctlT(t, top.bob.Netns(), "net.ipv4.no_such_knob") }),
		Entry("of a helper given a segment's namespace",
			func(t testing.TB, top topology) string {
				return "^cannot wait for a tcp listener on port 80 in " + named(t, "segment lan", top.lan.Netns()) + ", reason: nothing listened within 50ms$"
			},
			func(t testing.TB, top topology) { netns.WaitListeningT(t, top.lan.Netns(), "tcp", 80, quick) }),
	)
})
