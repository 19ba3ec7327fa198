package guard_test

import (
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/lab"
)

// reportEnv makes TestFailsWithAServerClosedInCleanup do its work, in the
// way the value names.
const reportEnv = "SCRATCHNET_GUARD_REPORT"

// TestFailsWithAServerClosedInCleanup is the failing plain test the specs
// below run the test binary for: re-executed with reportEnv set, it builds a
// lab, starts a UDP server in it that a cleanup of its own closes, and
// fails; with "defer" it defers guard.ReportT, with "fatal" too and fails
// with t.Fatal. Without reportEnv it does nothing.
func TestFailsWithAServerClosedInCleanup(t *testing.T) {
	mode := os.Getenv(reportEnv)
	if mode == "" {
		return
	}
	if mode != "plain" {
		defer guard.ReportT(t)
	}
	alice := lab.NewT(t).Host("alice")
	var server net.PacketConn
	alice.Execute(func() {
		var err error
		if server, err = net.ListenPacket("udp", "127.0.0.1:5353"); err != nil {
			t.Fatalf("cannot listen, reason: %v", err)
		}
	})
	t.Cleanup(func() { server.Close() })
	if mode == "fatal" {
		t.Fatalf("deliberate failure")
	}
	t.Errorf("deliberate failure")
}

var _ = Describe("plain tests' reports", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	// failing runs the test above in the given mode and returns its
	// output.
	failing := func(mode string) string {
		GinkgoHelper()
		exe, err := os.Executable()
		Expect(err).NotTo(HaveOccurred())
		cmd := exec.Command(exe, "-test.run=^TestFailsWithAServerClosedInCleanup$", "-test.count=1")
		// A sandbox of its own: one inherited would serve the parallel
		// run's relay a second time, on the same port.
		for _, e := range os.Environ() {
			if !strings.HasPrefix(e, "SCRATCHNET_SANDBOX") {
				cmd.Env = append(cmd.Env, e)
			}
		}
		cmd.Env = append(cmd.Env, reportEnv+"="+mode)
		out, err := cmd.CombinedOutput()
		Expect(err).To(MatchError(ContainSubstring("exit status 1")), string(out))
		Expect(string(out)).To(ContainSubstring("deliberate failure"))
		return string(out)
	}
	// heading matches the report's first line, logged from the test's file.
	heading := regexp.MustCompile(`(?m)^    report_test\.go:\d+: scratchnet lab \(created at .*/guard/report_test\.go:\d+\)$`)
	listening := regexp.MustCompile(`(?m)^ +udp 127\.0\.0\.1:5353 uid \d+ inode \d+$`)

	It("show what the body left, a server a later cleanup closes included, when the test defers guard.ReportT", func() {
		out := failing("defer")
		Expect(out).To(MatchRegexp(heading.String()))
		Expect(out).To(MatchRegexp(listening.String()))
		Expect(heading.FindAllString(out, -1)).To(HaveLen(1), "the teardown wrote the report again")
	})

	It("show what the body left when the test stops with t.Fatal, pointing at the test, not at the runtime", func() {
		out := failing("fatal")
		Expect(out).To(MatchRegexp(heading.String()))
		Expect(out).To(MatchRegexp(listening.String()))
		Expect(out).NotTo(ContainSubstring("panic.go"))
	})

	It("point at the test without guard.ReportT too, taken after the cleanups the test registered later, as documented", func() {
		out := failing("plain")
		Expect(out).To(MatchRegexp(heading.String()))
		Expect(out).NotTo(MatchRegexp(`diag\.go:\d+`))
		Expect(out).NotTo(MatchRegexp(listening.String()))
	})
})
