package netns_test

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
	"github.com/scratchnet/scratchnet/sandbox"
	"github.com/scratchnet/scratchnet/veth"
)

// tool runs an external tool in the test's own namespace and returns its
// output.
func tool(name string, args ...string) string {
	GinkgoHelper()
	out, err := exec.Command(name, args...).CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "%s %s: %s", name, strings.Join(args, " "), out)
	return string(out)
}

var _ = Describe("named namespaces for external tools", func() {
	BeforeEach(guard.SkipUnlessPrivileged)

	It("pins a namespace under /run/netns for ip -n, ip netns exec and nsenter", func() {
		fd := netns.NewTransient()
		dupond, _ := veth.NewTransient(veth.InNamespace(fd), veth.WithPeerNamespace(fd))
		name := netns.Pin(fd, "blue")
		Expect(netns.Ino("/run/netns/" + name)).To(Equal(netns.Ino(fd)))
		Expect(tool("ip", "-n", name, "-o", "link", "show")).To(ContainSubstring(dupond.Attrs().Name))
		Expect(tool("ip", "netns", "exec", name, "ip", "-o", "link", "show")).To(ContainSubstring(dupond.Attrs().Name))
		Expect(tool("nsenter", "--net=/run/netns/"+name, "ip", "-o", "link", "show")).To(ContainSubstring(dupond.Attrs().Name))
		Expect(tool("ip", "netns", "list")).To(ContainSubstring(name))
	})

	It("uses the name as it is only where /run/netns belongs to the sandbox", func() {
		fd := netns.NewTransient()
		first, second := netns.Pin(fd, "green"), netns.Pin(fd, "green")
		Expect(first).NotTo(Equal(second))
		if sandbox.PrivateRunNetns() {
			Expect(first).To(Equal("green"))
		} else {
			Expect(first).To(MatchRegexp(`^green-\d+-\d+$`))
		}
		Expect(second).To(HavePrefix("green-"))
	})

	It("unmounts and removes the name at cleanup", func() {
		var name string
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			name = netns.PinT(t, netns.NewTransientT(t), "red")
			Expect("/run/netns/" + name).To(BeAnExistingFile())
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect("/run/netns/" + name).NotTo(BeAnExistingFile())
		mounts, err := os.ReadFile("/proc/self/mountinfo")
		Expect(err).NotTo(HaveOccurred())
		Expect(string(mounts)).NotTo(ContainSubstring("/run/netns/" + name + " "))
	})

	It("refuses bad names with a message", func() {
		fd := netns.NewTransient()
		for _, name := range []string{"", "a/b", "..", "with space"} {
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) { netns.PinT(t, fd, name) })
			Expect(rec.Failures()).To(ConsistOf(HavePrefix("cannot pin network namespace net:[")), name)
		}
	})
})
