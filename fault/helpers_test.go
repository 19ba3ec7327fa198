package fault_test

import (
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/nftables"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/firewall"
	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/lab"
)

// faultTables lists the library's nftables tables in the namespace nsfd
// refers to but those named in except (a spec's own firewall): the faults'
// tables.
func faultTables(nsfd int, except ...string) []string {
	GinkgoHelper()
	c, err := nftables.New(nftables.WithNetNSFd(nsfd))
	Expect(err).NotTo(HaveOccurred())
	tables, err := c.ListTables()
	Expect(err).NotTo(HaveOccurred())
	var out []string
	for _, t := range tables {
		if strings.HasPrefix(t.Name, firewall.TablePrefix) && !slices.Contains(except, t.Name) {
			out = append(out, t.Name)
		}
	}
	return out
}

// reaches tells whether a TCP connection from host from to addr:port comes
// up within a short time; a listener must be there.
func reaches(from *lab.Host, addr netip.Addr, port uint16) bool {
	GinkgoHelper()
	_, err := testsupport.DialTCP(from.Netns(), netip.AddrPortFrom(addr, port).String(), 300*time.Millisecond)
	if err != nil {
		Expect(testsupport.IsTimeout(err)).To(BeTrue(), "a cut connection attempt times out: %v", err)
	}
	return err == nil
}

// stream sends bytes from host from to a server on host to over one TCP
// connection until the node ends, and returns a counter of the bytes the
// server has read.
func stream(from, to *lab.Host, addr netip.Addr) *atomic.Int64 {
	GinkgoHelper()
	ln := to.Listen("tcp", netip.AddrPortFrom(addr, 0).String())
	got := &atomic.Int64{}
	go func() {
		defer GinkgoRecover()
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		buf := make([]byte, 64<<10)
		for {
			n, err := conn.Read(buf)
			got.Add(int64(n))
			if err != nil {
				return
			}
		}
	}()
	conn := from.Dial("tcp", ln.Addr().String())
	go func() {
		chunk := make([]byte, 4<<10)
		for {
			if _, err := conn.Write(chunk); err != nil {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	Eventually(got.Load).Should(BeNumerically(">", 0), "the transfer starts")
	return got
}

// settled returns the counter's value once it no longer grows.
func settled(c *atomic.Int64) int64 {
	GinkgoHelper()
	last := int64(-1)
	Eventually(func() bool {
		v := c.Load()
		stable := v == last
		last = v
		return stable
	}).WithPolling(100*time.Millisecond).WithTimeout(3*time.Second).Should(BeTrue(), "the transfer stalls")
	return last
}

// skipUnlessPartitions skips a spec where partitions cannot be made:
// without privilege or without nftables.
func skipUnlessPartitions() {
	GinkgoHelper()
	guard.SkipUnlessPrivileged()
	firewall.SkipUnlessSupported(firewall.Tables)
}
