package netns_test

import (
	"bufio"
	"net"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/netns"
)

// echo sends a line to a helper server from inside the namespace and
// returns its answer.
func echo(fd int, network, addr string) string {
	GinkgoHelper()
	var answer string
	netns.Execute(fd, func() {
		conn, err := net.Dial(network, addr)
		Expect(err).NotTo(HaveOccurred())
		defer conn.Close()
		Expect(conn.SetDeadline(time.Now().Add(5 * time.Second))).To(Succeed())
		_, err = conn.Write([]byte("hello\n"))
		Expect(err).NotTo(HaveOccurred())
		answer, err = bufio.NewReader(conn).ReadString('\n')
		Expect(err).NotTo(HaveOccurred())
	})
	return answer
}

var _ = Describe("waiting for a process to be ready", func() {
	BeforeEach(guard.SkipUnlessPrivileged)

	It("waits until a process listens on a TCP port, and the port then answers", func() {
		fd := netns.NewTransient()
		p := netns.Start(fd, helper("serve-tcp", "127.0.0.1:7001"))
		p.WaitListening("tcp", 7001)
		Expect(echo(fd, "tcp", "127.0.0.1:7001")).To(Equal("echo hello\n"))
	})

	It("waits until a process listens on a UDP port, IPv6 included", func() {
		fd := netns.NewTransient()
		p := netns.Start(fd, helper("serve-udp", "[::1]:7002"))
		p.WaitListening("udp6", 7002)
		netns.WaitListening(fd, "udp", 7002)
		Expect(echo(fd, "udp", "[::1]:7002")).To(Equal("echo hello\n"))
	})

	It("looks only into the namespace it is given", func() {
		fd, other := netns.NewTransient(), netns.NewTransient()
		netns.Start(fd, helper("serve-tcp", "127.0.0.1:7003")).WaitListening("tcp", 7003)
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			netns.WaitListeningT(t, other, "tcp", 7003, netns.WithTimeout(100*time.Millisecond))
		})
		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			HavePrefix("cannot wait for a tcp listener on port 7003 in network namespace net:["),
			HaveSuffix("reason: nothing listened within 100ms"))))
	})

	It("fails at once, with status and output, when the process exits before it listens", func() {
		rec := &testsupport.Recorder{}
		began := time.Now()
		rec.Run(func(t testing.TB) {
			netns.StartT(t, netns.NewTransientT(t), helper("fail")).WaitListening("tcp", 7004)
		})
		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			MatchRegexp(`^cannot wait for process \d+ \(netns-helper-fail\) to listen on tcp port 7004 in network namespace net:\[\d+\], reason: it exited with status 3 before it listened`),
			ContainSubstring("something went wrong"))))
		Expect(time.Since(began)).To(BeNumerically("<", netns.DefaultWaitTimeout))
	})

	It("fails with the process's state when nothing listens in time", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			netns.StartT(t, netns.NewTransientT(t), helper("sleep")).WaitListening("tcp", 7005, netns.WithTimeout(50*time.Millisecond))
		})
		Expect(rec.Failures()).To(ConsistOf(ContainSubstring("reason: nothing listened within 50ms; the process is running")))
	})

	It("reads the namespace's /proc/net tables where the kernel lacks inet_diag", func() {
		fd := netns.NewTransient()
		netns.Start(fd, helper("serve-tcp", "[::1]:7006")).WaitListening("tcp", 7006)
		netns.Start(fd, helper("serve-udp", "127.0.0.1:7007")).WaitListening("udp", 7007)
		other := netns.NewTransient()
		listens := func(fd, proto int, family uint8, port uint16) bool {
			var found bool
			netns.Execute(fd, func() {
				var err error
				found, err = netns.ProcListens(proto, []uint8{family}, port)
				Expect(err).NotTo(HaveOccurred())
			})
			return found
		}
		Expect(listens(fd, unix.IPPROTO_TCP, unix.AF_INET6, 7006)).To(BeTrue())
		Expect(listens(fd, unix.IPPROTO_TCP, unix.AF_INET, 7006)).To(BeFalse())
		Expect(listens(fd, unix.IPPROTO_UDP, unix.AF_INET, 7007)).To(BeTrue())
		Expect(listens(fd, unix.IPPROTO_TCP, unix.AF_INET, 7007)).To(BeFalse())
		Expect(listens(other, unix.IPPROTO_TCP, unix.AF_INET6, 7006)).To(BeFalse())
	})

	It("waits until the output matches a pattern", func() {
		p := netns.Start(netns.NewTransient(), helper("serve-tcp", "127.0.0.1:0"))
		p.WaitOutput(`listening on 127\.0\.0\.1:\d+`)
		Expect(p.Stdout()).To(HavePrefix("listening on 127.0.0.1:"))
	})

	It("fails when the process ends without the output, or the time is up", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			netns.StartT(t, netns.NewTransientT(t), helper("fail")).WaitOutput("ready")
		})
		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			MatchRegexp(`^cannot wait for output matching "ready" from process \d+ \(netns-helper-fail\) in network namespace net:\[\d+\], reason: it exited with status 3 without such output`),
			ContainSubstring("stdout (last lines):\nsome output"))))
		rec = &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			netns.StartT(t, netns.NewTransientT(t), helper("sleep")).WaitOutput("ready", netns.WithTimeout(50*time.Millisecond))
		})
		Expect(rec.Failures()).To(ConsistOf(ContainSubstring(`reason: no match within 50ms`)))
	})

	It("refuses bad arguments with a message", func() {
		fd := netns.NewTransient()
		for reason, call := range map[string]func(t testing.TB){
			`reason: network "sctp" is none of tcp`:               func(t testing.TB) { netns.WaitListeningT(t, fd, "sctp", 1) },
			"reason: port 70000 is out of range":                  func(t testing.TB) { netns.WaitListeningT(t, fd, "tcp", 70000) },
			"reason: WithTimeout(0s): a timeout must be positive": func(t testing.TB) { netns.WaitListeningT(t, fd, "tcp", 1, netns.WithTimeout(0)) },
			"reason: error parsing regexp":                        func(t testing.TB) { netns.StartT(t, fd, helper("sleep")).WaitOutput("(") },
		} {
			rec := &testsupport.Recorder{}
			rec.Run(call)
			Expect(rec.Failures()).To(ConsistOf(SatisfyAll(HavePrefix("cannot wait for "), ContainSubstring(reason))), reason)
		}
	})
})
