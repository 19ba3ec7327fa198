package recipes_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/reach"
	"github.com/scratchnet/scratchnet/test/cni"
)

// bridgeConf is a CNI network of the bridge plugin with host-local
// addresses, whose allocations are kept in dataDir.
func bridgeConf(dataDir string) string {
	return `{"cniVersion": "1.0.0", "name": "recipe", "type": "bridge", "bridge": "cni0",
		"isGateway": true, "ipMasq": false,
		"ipam": {"type": "host-local", "subnet": "10.22.0.0/24", "dataDir": "` + dataDir + `"}}`
}

// cniCommand is the bridge plugin invoked as a container runtime invokes it:
// the command and the container in the environment, the network
// configuration on stdin. The container's namespace is named by path.
func cniCommand(command, containerID, netnsPath, conf string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(cni.PluginsDir(), "bridge"))
	cmd.Env = append(os.Environ(), "CNI_COMMAND="+command, "CNI_CONTAINERID="+containerID,
		"CNI_NETNS="+netnsPath, "CNI_IFNAME=eth0", "CNI_PATH="+cni.PluginsDir())
	cmd.Stdin = strings.NewReader(conf)
	return cmd
}

// withPrevResult is conf with ADD's result as prevResult, as a runtime
// passes it to CHECK.
func withPrevResult(conf, result string) string {
	var m map[string]any
	Expect(json.Unmarshal([]byte(conf), &m)).To(Succeed())
	m["prevResult"] = json.RawMessage(result)
	b, err := json.Marshal(m)
	Expect(err).NotTo(HaveOccurred())
	return string(b)
}

// The bridge and host-local plugins of containernetworking/plugins, built
// once by the suite's TestMain, connect two containers to a bridge on their
// node, as a runtime would: ADD, CHECK, DEL.
var _ = Describe("a real CNI plugin", func() {
	BeforeEach(guard.SkipUnlessPrivileged)

	It("puts two containers on a bridge where they reach each other", func() {
		node := netns.NewTransient(netns.WithName("node"))
		names := []string{"red", "blue"}
		containers := []int{netns.NewTransient(netns.WithName(names[0])), netns.NewTransient(netns.WithName(names[1]))}
		conf := bridgeConf(GinkgoT().TempDir())

		var addrs []string
		for i, c := range containers {
			// The plugin runs in the node's namespace, where it makes the
			// bridge; CNI_NETNS names the container's.
			result := netns.Output(node, cniCommand("ADD", names[i], netns.Path(c), conf))
			var added struct {
				IPs []struct{ Address string } `json:"ips"`
			}
			Expect(json.Unmarshal([]byte(result), &added)).To(Succeed())
			Expect(added.IPs).To(HaveLen(1))
			addrs = append(addrs, strings.Split(added.IPs[0].Address, "/")[0])
			netns.Run(node, cniCommand("CHECK", names[i], netns.Path(c), withPrevResult(conf, result)))
		}
		Expect(addrs).To(Equal([]string{"10.22.0.2", "10.22.0.3"}))
		Expect(containers[0]).To(reach.Reach(addrs[1]))
		Expect(containers[1]).To(reach.Reach(addrs[0]))

		for i, c := range containers {
			netns.Run(node, cniCommand("DEL", names[i], netns.Path(c), conf))
			_, err := netns.NewNetlinkHandle(c).LinkByName("eth0")
			Expect(err).To(HaveOccurred(), "DEL removed eth0 from container %s", names[i])
		}
	})
})
