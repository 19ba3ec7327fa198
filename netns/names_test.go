package netns_test

import (
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/route"
)

var _ = Describe("a namespace named with WithName showed in messages as net:[inode]: every helper given it names it", func() {
	BeforeEach(guard.SkipUnlessPrivileged)

	It("names it in the failures of the helpers of this package and of others", func() {
		fd := netns.NewTransient(netns.WithName("server"))
		named := fmt.Sprintf(`network namespace "server" (net:[%d])`, netns.Ino(fd))
		for what, call := range map[string]func(t testing.TB){
			"cannot wait for a udp listener on port 51820 in " + named + ", reason: nothing listened within 50ms": func(t testing.TB) {
				netns.WaitListeningT(t, fd, "udp", 51820, netns.WithTimeout(50*time.Millisecond))
			},
			"cannot run netns-helper-fail in " + named + ", reason: it exited with status 3": func(t testing.TB) {
				netns.RunT(t, fd, helper("fail"))
			},
			`cannot read sysctl "net.ipv4.no_such_knob" in ` + named + ", reason: ": func(t testing.TB) {
				netns.SysctlT(t, fd, "net.ipv4.no_such_knob")
			},
			"cannot add route to 10.9.0.0/16 via 192.0.2.1 in " + named + ", reason: ": func(t testing.TB) {
				route.AddT(t, fd, "10.9.0.0/16", route.Via("192.0.2.1"))
			},
		} {
			rec := &testsupport.Recorder{}
			rec.Run(call)
			Expect(rec.Failures()).To(ConsistOf(HavePrefix(what)), what)
		}
	})

	It("names a process's namespace when the process outlives a Wait", func() {
		rec := &testsupport.Recorder{}
		var ino uint64
		rec.Run(func(t testing.TB) {
			fd := netns.NewTransientT(t, netns.WithName("client"))
			ino = netns.InoT(t, fd)
			p := netns.StartT(t, fd, helper("sleep"))
			p.Wait(netns.WithTimeout(50 * time.Millisecond))
		})
		Expect(rec.Failures()).To(ConsistOf(MatchRegexp(
			`^cannot wait for process \d+ \(netns-helper-sleep\) in network namespace "client" \(net:\[%d\]\) to end, reason: it still ran after 50ms`, ino)))
	})
})
