package link_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
)

var _ = Describe("guarantee: concurrent creation of transient links never fails on collisions", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("creates 200 veth pairs from 8 goroutines at once in one namespace", func() {
		const goroutines, perGoroutine = 8, 25
		ns := netns.NewTransient()
		type made struct {
			name, peer       string
			index, peerIndex int
		}
		var (
			mu    sync.Mutex
			links []made
			recs  []*testsupport.Recorder
			wg    sync.WaitGroup
		)
		start := make(chan struct{})
		began := time.Now()
		for range goroutines {
			rec := &testsupport.Recorder{}
			recs = append(recs, rec)
			wg.Add(1)
			go func() {
				defer GinkgoRecover()
				defer wg.Done()
				<-start
				rec.Run(func(t testing.TB) {
					for range perGoroutine {
						// The longest prefix leaves 4 random characters, so
						// that names are drawn from the smallest space. The
						// pairs go with the namespace: deleting 200 veths
						// one by one costs the kernel an RCU grace period
						// each.
						dupond, dupont := link.NewTransientPairT(t, &netlink.Veth{PeerNamespace: netlink.NsFd(ns)}, "concurrent-",
							link.InNamespace(ns), link.GoesWithNamespace())
						mu.Lock()
						links = append(links, made{dupond.Attrs().Name, dupont.Attrs().Name, dupond.Attrs().Index, dupont.Attrs().Index})
						mu.Unlock()
					}
				})
			}()
		}
		close(start)
		wg.Wait()
		AddReportEntry("200 veth pairs from 8 goroutines", time.Since(began).Round(time.Millisecond).String())
		for i, rec := range recs {
			Expect(rec.Failures()).To(BeEmpty(), "goroutine %d", i)
		}
		Expect(links).To(HaveLen(goroutines * perGoroutine))

		By("finding every end, under its name and index, in the namespace")
		byIndex := map[int]string{}
		all, err := nsops.RetryDump(netns.NewNetlinkHandle(ns).LinkList)
		Expect(err).NotTo(HaveOccurred())
		for _, l := range all {
			byIndex[l.Attrs().Index] = l.Attrs().Name
		}
		Expect(byIndex).To(HaveLen(1 + 2*goroutines*perGoroutine))
		for _, m := range links {
			Expect(byIndex).To(HaveKeyWithValue(m.index, m.name), fmt.Sprintf("veth %q", m.name))
			Expect(byIndex).To(HaveKeyWithValue(m.peerIndex, m.peer), fmt.Sprintf("peer of %q", m.name))
		}
	})
})
