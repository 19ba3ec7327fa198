package netns_test

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

// cniPlugin is a stand-in for a CNI plugin, driven as the CNI spec drives
// one: the command and the namespace's path in the environment, the network
// configuration on stdin, a JSON result on stdout. It adds the address the
// configuration names to the interface CNI_IFNAME in CNI_NETNS.
const cniPlugin = `set -e
test "$CNI_COMMAND" = ADD
addr=$(sed -n 's/.*"address": *"\([^"]*\)".*/\1/p')
nsenter --net="$CNI_NETNS" ip addr add "$addr" dev "$CNI_IFNAME"
printf '{"cniVersion":"1.0.0","ips":[{"address":"%s"}]}\n' "$addr"
`

var _ = Describe("a path for a namespace", func() {

	It("is a path that any process of the test's user opens, privileged or not", func() {
		fd := netns.Current()
		p := netns.Path(fd)
		Expect(netns.Path(fd)).To(Equal(p), "the same path for the same namespace in one node")
		out, err := exec.Command("stat", "-L", "-c", "%i", p).CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "stat %s: %s", p, out)
		Expect(strings.TrimSpace(string(out))).To(Equal(strconv.FormatUint(netns.CurrentIno(), 10)))
	})

	When("namespaces can be made", func() {
		BeforeEach(guard.SkipUnlessPrivileged)

		It("is entered by nsenter --net=", func() {
			fd := netns.NewTransient()
			dupond, _ := veth.NewTransient(veth.InNamespace(fd), veth.WithPeerNamespace(fd))
			p := netns.Path(fd)
			Expect(tool("nsenter", "--net="+p, "ip", "-o", "link", "show")).To(ContainSubstring(dupond.Attrs().Name))
			Expect(tool("nsenter", "--net="+p, "readlink", "/proc/self/ns/net")).To(Equal(fmt.Sprintf("net:[%d]\n", netns.Ino(fd))))
		})

		It("reaches the namespace from a CNI plugin started through the process API", func() {
			server := netns.NewTransient(netns.WithName("server"))
			plugin := exec.Command("sh", "-c", cniPlugin)
			plugin.Env = append(os.Environ(),
				"CNI_COMMAND=ADD", "CNI_CONTAINERID=spec", "CNI_IFNAME=lo", "CNI_PATH=/opt/cni/bin",
				"CNI_NETNS="+netns.Path(server))
			plugin.Stdin = strings.NewReader(`{"cniVersion": "1.0.0", "name": "test", "type": "stand-in", "address": "192.0.2.10/32"}`)
			// The plugin runs in another namespace than the one it configures, as under a runtime.
			result := netns.Output(netns.NewTransient(netns.WithName("runtime")), plugin)
			Expect(result).To(ContainSubstring(`"address":"192.0.2.10/32"`))
			addrs, err := netns.NewNetlinkHandle(server).AddrList(nil, 0)
			Expect(err).NotTo(HaveOccurred())
			Expect(fmt.Sprint(addrs)).To(ContainSubstring("192.0.2.10/32"))
		})

		It("keeps the path until the node's cleanup and removes it then", func() {
			var p string
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) {
				fd := netns.NewTransientT(t)
				p = netns.PathT(t, fd)
				Expect(netns.PathT(t, fd)).To(Equal(p))
				Expect(netns.Ino(p)).To(Equal(netns.Ino(fd)))
			})
			Expect(rec.Failures()).To(BeEmpty())
			Expect(p).NotTo(BeAnExistingFile())
			mounts, err := os.ReadFile("/proc/self/mountinfo")
			Expect(err).NotTo(HaveOccurred())
			Expect(string(mounts)).NotTo(ContainSubstring(" " + p + " "))
		})
	})

	It("fails naming the fd when it is not a network namespace", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { netns.PathT(t, 0) })
		Expect(rec.Failures()).To(ConsistOf(HavePrefix("cannot give a path to ")))
	})
})
