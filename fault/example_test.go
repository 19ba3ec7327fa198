package fault_test

import (
	"context"
	"io"
	"net/netip"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/fault"
	"github.com/scratchnet/scratchnet/lab"
)

// A client that retries gets through once a partition heals: the partition
// is injected at once and a plan heals it 500 ms later, while the client
// keeps trying. The timeline tells when it got through.
func ExamplePartition() {
	It("a client reconnects after a partition heals", func() {
		l := lab.New()
		client, server := l.Host("client"), l.Host("server")
		_, serverEnd := l.Connect(client, server)
		ln := server.Listen("tcp", netip.AddrPortFrom(serverEnd.IPv4.Addr(), 7).String())
		go func() { // a server that echoes four bytes
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer conn.Close()
					buf := make([]byte, 4)
					if _, err := io.ReadFull(conn, buf); err == nil {
						_, _ = conn.Write(buf)
					}
				}()
			}
		}()

		cut := fault.Inject(fault.Partition([]*lab.Host{client}, []*lab.Host{server}))
		plan := fault.NewPlan(fault.HealAt(500*time.Millisecond, cut))
		plan.Start()

		dialer, attempts := client.Dialer(), 0
		ping := func() error {
			attempts++
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			conn, err := dialer.DialContext(ctx, "tcp", ln.Addr().String())
			if err != nil {
				return err
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(time.Second))
			if _, err := conn.Write([]byte("ping")); err != nil {
				return err
			}
			_, err = io.ReadFull(conn, make([]byte, 4))
			return err
		}
		Eventually(ping).WithTimeout(5 * time.Second).WithPolling(50 * time.Millisecond).Should(Succeed())
		through := time.Now()
		Expect(attempts).To(BeNumerically(">", 1), "the first attempts fell into the partition")
		// The heal is on the timeline once the plan has recorded it, which
		// can come a moment after the packets flow again.
		plan.Wait()
		for _, ev := range fault.Timeline() {
			if strings.HasPrefix(ev.What, "healed partition {client} | {server}") {
				GinkgoWriter.Printf("the client got through %v after the heal\n", through.Sub(ev.Time))
				return
			}
		}
		Fail("the timeline has no heal of the partition")
	})
}

// A plan of faults at times from its start: at 500 ms a partition
// {a b} | {c}, healed at 2 s, and a flap of the wire r1–r2 every 300 ms,
// three times. Stop (or the end of the spec) heals what is applied.
func ExampleNewPlan() {
	It("runs a plan of faults", func() {
		l := lab.New()
		a, b, c := l.Host("a"), l.Host("b"), l.Host("c")
		l.Segment("lan").Attach(a, b, c)
		r1, r2 := l.Router("r1"), l.Router("r2")
		r1End, _ := l.Connect(r1, r2)

		cut := fault.Partition([]*lab.Host{a, b}, []*lab.Host{c})
		plan := fault.NewPlan(
			fault.At(500*time.Millisecond, cut),
			fault.HealAt(2*time.Second, cut),
			fault.Every(300*time.Millisecond, 3, fault.Flap(r1End, 100*time.Millisecond)),
		)
		plan.Start()
		// ... the code under test runs here ...
		plan.Wait()
		plan.Stop()
		Expect(fault.Timeline()).To(ContainElement(HaveField("What", "healed partition {a b} | {c} (plan, at 2s)")))
	})
}

// A random plan draws its faults and their times from a seed, which the
// timeline and GinkgoWriter show: Seed(n) replays a failed run's plan.
func ExampleRandom() {
	It("runs a random plan", func() {
		l := lab.New()
		a, b, c := l.Host("a"), l.Host("b"), l.Host("c")
		ifs := l.Segment("lan").Attach(a, b, c)
		plan := fault.Random([]fault.Fault{
			fault.Isolate(l, a),
			fault.OneWay([]*lab.Host{b}, []*lab.Host{c}),
			fault.Blackhole(ifs[2]),
		}, fault.Count(3)) // fault.Seed(n) to replay
		plan.Start()
		// ... the code under test runs here ...
		plan.Wait()
		plan.Stop()
	})
}

// The examples run as specs of the suite.
var _ = Describe("recipes", func() {
	BeforeEach(skipUnlessPartitions)
	ExamplePartition()
	ExampleNewPlan()
	ExampleRandom()
})
