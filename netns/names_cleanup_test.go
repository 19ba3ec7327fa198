package netns_test

import (
	"fmt"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/netns"
)

var _ = Describe("a name given with WithName lasts as long as the namespace's fd: inode numbers are reused", func() {
	BeforeEach(guard.SkipUnlessPrivileged)

	It("names the namespace until the cleanup closes its fd, and not after", func() {
		rec := &testsupport.Recorder{}
		var ino uint64
		rec.Run(func(t testing.TB) {
			ino = netns.InoT(t, netns.NewTransientT(t, netns.WithName("short-lived")))
			Expect(nsops.DescribeIno(ino)).To(Equal(fmt.Sprintf(`network namespace "short-lived" (net:[%d])`, ino)))
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(nsops.DescribeIno(ino)).To(Equal(fmt.Sprintf("network namespace net:[%d]", ino)))
	})
})
