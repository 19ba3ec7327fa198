package sandbox_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/sandbox"
	"github.com/scratchnet/scratchnet/veth"
)

// rerun starts this test binary afresh, as "go test" would, focused on one
// probe spec, and returns the command, not yet started, and its output.
func rerun(probe string, env ...string) (*exec.Cmd, *output) {
	exe, err := os.Executable()
	Expect(err).NotTo(HaveOccurred())
	cmd := exec.Command(exe, "-ginkgo.label-filter=probe", "-ginkgo.focus=probe "+probe, "-ginkgo.no-color")
	for _, e := range os.Environ() {
		// The fresh process must decide about the sandbox by itself.
		if !strings.HasPrefix(e, "SCRATCHNET_SANDBOX") {
			cmd.Env = append(cmd.Env, e)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	out := &output{}
	cmd.Stdout, cmd.Stderr = out, out
	return cmd, out
}

var _ = Describe("the sandbox", func() {

	It("runs the tests sandboxed unless turned off or impossible", func() {
		if os.Getenv(sandbox.Env) == "off" {
			Expect(sandbox.Current()).To(Equal(sandbox.Off))
			Expect(sandbox.HostNetns()).To(Equal(-1))
			return
		}
		if os.Geteuid() != 0 && sandbox.Current() == sandbox.Off {
			Skip("needs root, or user namespaces for an unprivileged sandbox")
		}
		Expect(sandbox.Current()).To(BeElementOf(sandbox.NetNS, sandbox.UserNS))
		Expect(os.Geteuid()).To(BeZero(), "tests run as root in either sandbox")
		Expect(netns.Ino("/proc/self/ns/net")).NotTo(Equal(netns.Ino(sandbox.HostNetns())),
			"the tests' namespace must not be the real host's")
	})

	It("leaves the real host network namespace untouched, even as root", func() {
		switch {
		case sandbox.Current() == sandbox.NetNS:
			checkRealHostUntouched()
		case os.Geteuid() == 0 && sandbox.Current() == sandbox.Off:
			// Running unsandboxed on purpose: ask a fresh, sandboxed run
			// of this binary to make the check.
			cmd, out := rerun("host untouched")
			Expect(cmd.Run()).To(Succeed(), out.String())
			Expect(out.String()).To(ContainSubstring("real host unchanged"))
		default:
			Skip("needs root (the check reads the real host's namespace, which only root may enter)")
		}
	})

	It("creates namespaces and links inside the sandbox, rootless or not", func() {
		guard.SkipUnlessPrivileged()
		left, right := netns.NewTransient(), netns.NewTransient()
		dupond, dupont := veth.NewTransient(veth.InNamespace(left), veth.WithPeerNamespace(right),
			veth.GoesWithNamespace())
		Expect(dupond.Attrs().Index).To(BeNumerically(">", 0))
		Expect(dupont.Attrs().Index).To(BeNumerically(">", 0))
	})

	It("runs unsandboxed when turned off", func() {
		cmd, out := rerun("mode", sandbox.Env+"=off")
		Expect(cmd.Run()).To(Succeed(), out.String())
		Expect(out.String()).To(ContainSubstring("sandbox mode: off"))
	})

	It("passes output files, output and exit status through", func() {
		report := filepath.Join(GinkgoT().TempDir(), "report.json")
		cmd, out := rerun("mode")
		cmd.Args = append(cmd.Args, "-ginkgo.json-report="+report)
		Expect(cmd.Run()).To(Succeed(), out.String())
		Expect(out.String()).To(MatchRegexp(`sandbox mode: (netns|userns|off)`))
		Expect(report).To(BeAnExistingFile())

		cmd, out = rerun("failure")
		err := cmd.Run()
		var exit *exec.ExitError
		Expect(err).To(BeAssignableToTypeOf(exit), out.String())
		Expect(out.String()).To(ContainSubstring("probe failure fails on purpose"))
	})

	// The timeouts are generous because a re-executed, sandboxed test binary
	// starts slowly on a loaded 2-core machine; a passing run takes far less.
	It("passes SIGTERM on to the sandboxed tests", func() {
		cmd, out := rerun("signal")
		Expect(cmd.Start()).To(Succeed())
		Eventually(out.String).WithTimeout(30 * time.Second).Should(ContainSubstring("waiting for a signal"))
		Expect(cmd.Process.Signal(syscall.SIGTERM)).To(Succeed())
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		Eventually(done).WithTimeout(30 * time.Second).Should(Receive())
		Expect(out.String()).To(ContainSubstring("got terminated"))
		Expect(out.String()).To(ContainSubstring("Interrupted by User"))
	})
})

// The probes run only in a fresh process started by the specs above; the
// suite's default label filter leaves them out otherwise.
var _ = Describe("probe", Label("probe"), func() {

	It("mode", func() {
		os.Stdout.WriteString("sandbox mode: " + string(sandbox.Current()) + "\n")
	})

	It("host untouched", func() {
		Expect(sandbox.Current()).To(Equal(sandbox.NetNS))
		checkRealHostUntouched()
		os.Stdout.WriteString("real host unchanged\n")
	})

	It("failure", func() {
		Fail("probe failure fails on purpose")
	})

	It("signal", func(ctx SpecContext) {
		os.Stdout.WriteString("waiting for a signal\n")
		select {
		case <-ctx.Done():
			os.Stdout.WriteString("got terminated\n")
		case <-time.After(10 * time.Second):
		}
	})
})

// output collects what a command prints; specs read it while the command
// is still writing.
type output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// checkRealHostUntouched creates a link in the suite's host namespace, as a
// careless test would, and checks that the real host's links stay the same.
func checkRealHostUntouched() {
	GinkgoHelper()
	realHost := netns.NewNetlinkHandle(sandbox.HostNetns())
	before, err := realHost.LinkList()
	Expect(err).NotTo(HaveOccurred())
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	Expect(err).NotTo(HaveOccurred())
	defer h.Close()
	careless := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "careless"}, PeerName: "careless-peer"}
	Expect(h.LinkAdd(careless)).To(Succeed())
	DeferCleanup(func() { Expect(h.LinkDel(careless)).To(Succeed()) })
	after, err := realHost.LinkList()
	Expect(err).NotTo(HaveOccurred())
	Expect(names(after)).To(Equal(names(before)))
	Expect(names(after)).NotTo(ContainElement("careless"))
}

func names(links []netlink.Link) []string {
	var out []string
	for _, l := range links {
		out = append(out, l.Attrs().Name)
	}
	return out
}
