package lab_test

import (
	"os/exec"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/lab"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/sandbox"
)

var _ = Describe("processes in lab hosts", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("serves HTTP from one host to another, across a router", func() {
		l := lab.New()
		alice, router, bob := l.Host("alice"), l.Router("router"), l.Host("bob")
		_, ra := l.Connect(alice, router)
		b, rb := l.Connect(bob, router)
		alice.DefaultRoute(ra)
		bob.DefaultRoute(rb)
		server := bob.Start(httpServer(b.IPv4.Addr().String()+":8080", "hello from bob"))
		bob.WaitListening("tcp", 8080)
		server.WaitListening("tcp4", 8080)
		body := alice.Output(httpGet("http://" + b.IPv4.Addr().String() + ":8080/index"))
		Expect(body).To(Equal("hello from bob\n"))
		server.WaitOutput(`GET /index from 10\.0\.1\.1:\d+`)
	})

	It("pings from one host to another with the system's ping", func() {
		l := lab.New()
		alice, bob := l.Host("alice"), l.Host("bob")
		_, b := l.Connect(alice, bob)
		out := alice.Output(exec.Command("ping", "-c", "1", "-W", "5", b.IPv4.Addr().String()))
		Expect(out).To(MatchRegexp(`1 packets transmitted, 1 (packets )?received`))
		out = alice.Output(exec.Command("ping", "-6", "-c", "1", "-W", "5", b.IPv6.Addr().String()))
		Expect(out).To(MatchRegexp(`1 packets transmitted, 1 (packets )?received`))
	})

	It("names a failed command and its host", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			l := lab.NewT(t)
			l.Host("alice").Run(exec.Command("/bin/sh", "-c", "echo no such link >&2; exit 3"))
		})
		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			HavePrefix(`cannot run /bin/sh -c "echo no such link >&2; exit 3" in host "alice", reason: it exited with status 3`),
			ContainSubstring("stderr (last lines):\nno such link"))))
		Expect(rec.Logs()).To(ContainElement(SatisfyAll(
			ContainSubstring("host alice (network namespace"),
			MatchRegexp(`processes:\n +pid \d+ exited with status 3: /bin/sh -c "echo no such link >&2; exit 3"\n +stderr:\n +no such link`))))
	})

	It("pins hosts under their own names in the sandbox, for ip -n", func() {
		l := lab.New()
		alice, bob := l.Host("alice"), l.Host("bob")
		a, _ := l.Connect(alice, bob)
		name := alice.Pin()
		if sandbox.PrivateRunNetns() {
			Expect(name).To(Equal("alice"))
		} else {
			Expect(name).To(HavePrefix("alice-"))
		}
		out, err := exec.Command("ip", "-n", name, "-br", "addr", "show", "dev", "bob").CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		Expect(string(out)).To(ContainSubstring(a.IPv4.String()))
		Expect(netns.Ino("/run/netns/" + name)).To(Equal(netns.Ino(alice.Netns())))
	})

	It("runs a tool with the host's /sys on request", func() {
		l := lab.New()
		alice, bob := l.Host("alice"), l.Host("bob")
		l.Connect(alice, bob)
		out := alice.Output(exec.Command("ls", "/sys/class/net"), netns.WithSysfs())
		Expect(strings.Fields(out)).To(ContainElements("lo", "bob"))
		Expect(strings.Fields(out)).NotTo(ContainElement("alice"), "bob's end of the wire")
	})

	It("shows the processes of its hosts in the report of a failing spec", Label(deliberateFailure), func() {
		l := lab.New()
		alice, bob := l.Host("alice"), l.Host("bob")
		_, b := l.Connect(alice, bob)
		bob.Start(httpServer(b.IPv4.Addr().String()+":8080", "hello")).WaitOutput("serving on")
		alice.Start(exec.Command("ping", "-c", "100", "-i", "0.2", b.IPv4.Addr().String())).WaitOutput("bytes from")
		Fail("deliberate failure: the report below this message shows the HTTP server in bob and ping in alice, with their output")
	})
})
