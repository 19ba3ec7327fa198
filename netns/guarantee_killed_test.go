package netns_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/netns"
)

// killedEnv makes TestStartsDaemonAndWaitsToBeKilled do its work.
const killedEnv = "SCRATCHNET_NETNS_KILLED"

// TestStartsDaemonAndWaitsToBeKilled is the test binary the guarantee below
// SIGKILLs: re-executed with killedEnv set, it starts a daemon that ignores
// SIGTERM and has a grandchild, says "ready", and waits to be killed.
// Without killedEnv it does nothing.
func TestStartsDaemonAndWaitsToBeKilled(t *testing.T) {
	if os.Getenv(killedEnv) == "" {
		return
	}
	p := netns.StartT(t, netns.NewTransientT(t), helper("stubborn"))
	p.WaitOutput(`grandchild \d+`)
	fmt.Println("ready")
	time.Sleep(time.Hour)
}

var _ = Describe("guarantee: processes started in namespaces die with the test binary", func() {
	BeforeEach(guard.SkipUnlessPrivileged)

	// startKillable re-executes the test binary, sandboxed unless off,
	// and returns it once its daemon runs, with the running processes
	// below it.
	startKillable := func(sandboxOff bool) (*exec.Cmd, []int) {
		GinkgoHelper()
		exe, err := os.Executable()
		Expect(err).NotTo(HaveOccurred())
		cmd := exec.Command(exe, "-test.run=^TestStartsDaemonAndWaitsToBeKilled$")
		for _, e := range os.Environ() {
			if !strings.HasPrefix(e, "SCRATCHNET_SANDBOX") {
				cmd.Env = append(cmd.Env, e)
			}
		}
		cmd.Env = append(cmd.Env, killedEnv+"=1")
		if sandboxOff {
			cmd.Env = append(cmd.Env, "SCRATCHNET_SANDBOX=off")
		}
		out, err := cmd.StdoutPipe()
		Expect(err).NotTo(HaveOccurred())
		cmd.Stderr = GinkgoWriter
		Expect(cmd.Start()).To(Succeed())
		DeferCleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
		line, err := bufio.NewReader(out).ReadString('\n')
		Expect(err).NotTo(HaveOccurred())
		Expect(line).To(Equal("ready\n"))
		return cmd, descendants(cmd.Process.Pid)
	}

	It("leaves nothing running below a sandboxed test binary killed with SIGKILL", func() {
		cmd, tree := startKillable(false)
		// sandbox parent -> sandboxed test binary -> daemon -> grandchild
		Expect(tree).To(HaveLen(3), "processes below the test binary")
		Expect(cmd.Process.Signal(syscall.SIGKILL)).To(Succeed())
		Eventually(func() []int { return running(tree...) }).WithTimeout(5 * time.Second).Should(BeEmpty())
	})

	It("leaves nothing running when the sandboxed test binary itself is killed", func() {
		_, tree := startKillable(false)
		Expect(tree).To(HaveLen(3))
		// The first descendant is the sandboxed test binary.
		Expect(syscall.Kill(tree[0], syscall.SIGKILL)).To(Succeed())
		Eventually(func() []int { return running(tree...) }).WithTimeout(5 * time.Second).Should(BeEmpty())
	})

	It("kills the direct children of an unsandboxed test binary killed with SIGKILL", func() {
		cmd, tree := startKillable(true)
		// test binary -> daemon -> grandchild
		Expect(tree).To(HaveLen(2))
		daemon, grandchild := tree[0], tree[1]
		Expect(cmd.Process.Signal(syscall.SIGKILL)).To(Succeed())
		Eventually(func() []int { return running(daemon) }).WithTimeout(5 * time.Second).Should(BeEmpty())
		// Without the sandbox's PID namespace nothing kills what the
		// daemon forked: the parent-death signal reaches children only.
		Expect(running(grandchild)).To(ConsistOf(grandchild))
		Expect(syscall.Kill(grandchild, syscall.SIGKILL)).To(Succeed())
		Eventually(func() []int { return running(grandchild) }).WithTimeout(5 * time.Second).Should(BeEmpty())
	})
})
