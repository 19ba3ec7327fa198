package fault_test

import (
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/capture"
	"github.com/scratchnet/scratchnet/fault"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/lab"
)

var _ = Describe("the fault timeline in the report", func() {
	BeforeEach(skipUnlessPartitions)

	It("shows what was applied and healed when, next to the captured packets", Label(deliberateFailure), func() {
		l := lab.New()
		l.Capture()
		client, server := l.Host("client"), l.Host("server")
		_, serverEnd := l.Connect(client, server)
		server.Listen("tcp", "[::]:7")
		addr := netip.AddrPortFrom(serverEnd.IPv4.Addr(), 7).String()
		fault.Inject(fault.Partition([]*lab.Host{client}, []*lab.Host{server}))
		_, err := testsupport.DialTCP(client.Netns(), addr, 300*time.Millisecond)
		Expect(err).To(HaveOccurred())
		Fail("deliberate failure: the report below shows the fault timeline, then the lab with its captures")
	})

	It("is in the report of the deliberately failing spec", func() {
		exe, err := os.Executable()
		Expect(err).NotTo(HaveOccurred())
		cmd := exec.Command(exe, "-ginkgo.label-filter="+deliberateFailure, "-ginkgo.no-color")
		for _, e := range os.Environ() {
			// The run makes a sandbox of its own.
			if !strings.HasPrefix(e, "SCRATCHNET_SANDBOX") {
				cmd.Env = append(cmd.Env, e)
			}
		}
		// A failed spec keeps its capture files.
		cmd.Env = append(cmd.Env, capture.EnvDir+"="+GinkgoT().TempDir())
		out, err := cmd.CombinedOutput()
		Expect(err).To(HaveOccurred(), "the deliberately failing spec fails")
		report := string(out)
		Expect(report).To(ContainSubstring("deliberate failure: the report below shows the fault timeline"))
		Expect(report).To(MatchRegexp(`fault timeline - .*report_test.go:\d+ @`))
		Expect(report).To(MatchRegexp(`times relative to the spec's start \(\d\d:\d\d:\d\d\.\d{6}\)\n +\+\d+\.\d{3}s  \d\d:\d\d:\d\d\.\d{6}  applied partition \{client\} \| \{server\}\n`))
		Expect(report).To(MatchRegexp(`\n +\d\d:\d\d:\d\d\.\d{6} IP 10\.0\.1\.1\.\d+ > 10\.0\.1\.2\.7: TCP \[S\]`), "the captured SYN, stamped by the same clock")
	})
})
