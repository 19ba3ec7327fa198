package recipes_test

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/fault"
	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/lab"
)

// fetchWithRetry is the code under test: a client that retries a request,
// each attempt with a short timeout, until one succeeds or it runs out of
// attempts. It returns the number of attempts made.
func fetchWithRetry(c *http.Client, url string, attempts int, pause time.Duration) (int, error) {
	var err error
	for i := 1; i <= attempts; i++ {
		var resp *http.Response
		if resp, err = c.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return i, nil
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		time.Sleep(pause)
	}
	return attempts, err
}

// A client that retries gets through a partition of the network between it
// and its server once the partition heals: the partition cuts every packet
// while the links stay up, as a broken fabric does, and a plan heals it
// 600 ms later while the client keeps trying.
var _ = Describe("a client that recovers from a partition", func() {
	BeforeEach(guard.SkipUnlessPrivileged)

	It("gets through once the partition heals", func() {
		l := lab.New()
		client, router, server := l.Host("client"), l.Router("router"), l.Host("server")
		clientEnd, _ := l.Connect(client, router)
		_, serverEnd := l.Connect(router, server)
		l.AutoRoute()

		ln := server.Listen("tcp", serverEnd.IPv4.Addr().String()+":8080")
		go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "ok")
		}))
		url := "http://" + ln.Addr().String() + "/"
		c := client.HTTPClient()
		c.Timeout = 200 * time.Millisecond
		Expect(fetchWithRetry(c, url, 1, 0)).To(Equal(1), "the client reaches the server before the partition")

		cut := fault.Inject(fault.Partition([]*lab.Host{client}, []*lab.Host{server}))
		plan := fault.NewPlan(fault.HealAt(600*time.Millisecond, cut))
		plan.Start()
		attempts, err := fetchWithRetry(c, url, 20, 50*time.Millisecond)
		Expect(err).NotTo(HaveOccurred(), "the client gave up after %d attempts", attempts)
		Expect(attempts).To(BeNumerically(">", 1), "the first attempts fell into the partition")
		recovered := time.Now()

		plan.Wait()
		var healed time.Time
		for _, ev := range fault.Timeline() {
			if strings.HasPrefix(ev.What, "healed partition") {
				healed = ev.Time
			}
		}
		Expect(healed).NotTo(BeZero(), "the timeline shows the heal")
		GinkgoWriter.Printf("client %s got through after %d attempts, %v after the heal\n",
			clientEnd.IPv4.Addr(), attempts, recovered.Sub(healed).Round(time.Millisecond))
	})
})
