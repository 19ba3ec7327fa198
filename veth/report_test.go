package veth_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

var _ = Describe("plain go test failure reports showed empty namespaces: reports are taken before any teardown", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("list the veth with its address in the report of a failing plain test", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			// The reproducer of the issue, as a user writes it.
			ns := netns.NewTransientT(t)
			veth.NewTransientT(t, veth.InNamespace(ns), veth.WithPeerNamespace(ns), veth.WithAddress("10.6.0.1/24"))
			t.Error("the report should list the veth")
		})
		Expect(rec.Failures()).To(ConsistOf("the report should list the veth"))
		Expect(rec.Logs()).To(ConsistOf(SatisfyAll(
			MatchRegexp(`^scratchnet transient network namespace \(created at .*/veth/report_test\.go:\d+\)\n`),
			MatchRegexp(`\d+: lo \(device\)`),
			MatchRegexp(`\d+: veth-\w{10} \(veth\) <BROADCAST,MULTICAST> state down mtu 1500 .*\n\s+inet 10\.6\.0\.1/24\n`),
			MatchRegexp(`\d+: veth-\w{10} \(veth\)`),
		)))
	})

	It("list the veth with its address in the verbose output of a passing Ginkgo spec", func() {
		exe, err := os.Executable()
		Expect(err).NotTo(HaveOccurred())
		cmd := exec.Command(exe, "-test.run=^TestVeth$", "-ginkgo.v", "-ginkgo.no-color", "-ginkgo.label-filter="+reportChild)
		for _, e := range os.Environ() {
			// The child runs in this sandbox as it is, without one of its own.
			if !strings.HasPrefix(e, "SCRATCHNET_SANDBOX") {
				cmd.Env = append(cmd.Env, e)
			}
		}
		cmd.Env = append(cmd.Env, "SCRATCHNET_SANDBOX=off")
		out, err := cmd.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "the child run failed:\n%s", out)
		Expect(string(out)).To(SatisfyAll(
			ContainSubstring("Ran 1 of"),
			MatchRegexp(`scratchnet transient network namespace - .*/veth/report_test\.go:\d+`),
			MatchRegexp(`\d+: veth-\w{10} \(veth\) <BROADCAST,MULTICAST> state down mtu 1500 .*\n\s+inet 10\.6\.0\.1/24\n`),
		), "the verbose output lacks the veth:\n%s", out)
	})

	It("show a passing spec's namespace in verbose runs", Label(reportChild), func() {
		ns := netns.NewTransient()
		veth.NewTransient(veth.InNamespace(ns), veth.WithPeerNamespace(ns), veth.WithAddress("10.6.0.1/24"))
	})
})
