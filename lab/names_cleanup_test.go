package lab_test

import (
	"fmt"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/lab"
	"github.com/scratchnet/scratchnet/netns"
)

var _ = Describe("a lab's names for its namespaces last as long as the lab: inode numbers are reused", func() {
	BeforeEach(guard.SkipUnlessPrivileged)

	It("names hosts, routers and segments until the lab is torn down, and not after", func() {
		rec := &testsupport.Recorder{}
		inos := map[string]uint64{}
		rec.Run(func(t testing.TB) {
			l := lab.NewT(t)
			inos["alice"] = netns.InoT(t, l.Host("alice").Netns())
			inos["bob"] = netns.InoT(t, l.Router("bob").Netns())
			inos["segment lan"] = netns.InoT(t, l.Segment("lan").Netns())
			for name, ino := range inos {
				Expect(nsops.DescribeIno(ino)).To(Equal(fmt.Sprintf(`network namespace %q (net:[%d])`, name, ino)))
			}
		})
		Expect(rec.Failures()).To(BeEmpty())
		for _, ino := range inos {
			Expect(nsops.DescribeIno(ino)).To(Equal(fmt.Sprintf("network namespace net:[%d]", ino)))
		}
	})
})
