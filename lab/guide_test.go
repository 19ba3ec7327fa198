package lab_test

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"os/signal"
	"syscall"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/capture"
	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/lab"
	"github.com/scratchnet/scratchnet/netns"
)

// An agent that shuts down cleanly in the grace period of its SIGTERM, as
// docs/testing-go-code.md shows it.
var _ = netns.RegisterFunc("agent", func(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	fmt.Println("ready")
	<-ctx.Done() // the agent's work would run until here
	fmt.Println("stopped cleanly")
	return 0
})

// The snippets of docs/labs-and-topologies.md, docs/captures-and-reports.md
// docs/running-code-under-test.md and docs/testing-go-code.md, embedded
// there from here.
var _ = Describe("the guides' labs", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("routes between two subnets", func() {
		l := lab.New()
		alice, router, bob := l.Host("alice"), l.Router("router"), l.Host("bob")
		_, routerToAlice := l.Connect(alice, router)  // 10.0.1.0/24, fd00:0:0:1::/64
		bobEnd, routerToBob := l.Connect(bob, router) // 10.0.2.0/24, fd00:0:0:2::/64
		alice.DefaultRoute(routerToAlice)
		bob.Route("10.0.1.0/24", routerToBob)

		ln := bob.Listen("tcp", bobEnd.IPv4.Addr().String()+":8080")
		alice.Execute(func() {
			conn, err := net.Dial("tcp", ln.Addr().String()) // one routed hop away
			Expect(err).NotTo(HaveOccurred())
			conn.Close()
		})

		lan := l.Segment("lan")          // a bridge in a namespace of its own
		ifaces := lan.Attach(alice, bob) // each gets an interface "lan" on 10.0.3.0/24
		Expect(alice).To(lab.Reach(ifaces[1]))
	})

	It("captures every interface of the lab", func() {
		capture.SkipUnlessSupported()
		l := lab.New()
		l.Capture() // every interface of the lab, from the start
		alice, bob := l.Host("alice"), l.Host("bob")
		aliceEnd, _ := l.Connect(alice, bob)
		Expect(alice).To(lab.Reach(bob))

		// One wire end's capture (a wire end alone: aliceEnd.Capture() without
		// l.Capture(); any link: capture.Link(dupond)), its packets decoded:
		Expect(aliceEnd.Capture().Lines()).To(ContainElement(ContainSubstring("ICMP echo request")))
	})

	It("names a host's namespace for ip(8)", func() {
		l := lab.New()
		alice := l.Host("alice")
		name := alice.Pin() // or netns.Pin(fd, "blue")
		out, err := exec.Command("ip", "-n", name, "link", "show", "lo").CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		Expect(string(out)).To(ContainSubstring("LOOPBACK"))
	})

	It("stops a Go function process gracefully", func() {
		l := lab.New()
		agent := l.Host("alice").StartFunc("agent", nil)
		agent.WaitOutput("ready")
		Expect(agent.Cmd.Process.Signal(syscall.SIGTERM)).To(Succeed()) // as the cleanup does
		Expect(agent.Wait()).To(Equal(0))
		Expect(agent.Stdout()).To(ContainSubstring("stopped cleanly"))
	})
})
