package cni_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/lab"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/reach"
	"github.com/scratchnet/scratchnet/test/cni"
)

// config is a bridge network with host-local addresses kept in dataDir.
func config(dataDir string) string {
	return `{"cniVersion": "1.0.0", "name": "test", "type": "bridge", "bridge": "cni0", "isGateway": true,
		"ipam": {"type": "host-local", "subnet": "10.22.0.0/24", "dataDir": "` + dataDir + `"}}`
}

// withPrevResult is conf with the result of ADD as its prevResult, as a
// runtime passes it to CHECK.
func withPrevResult(conf, added string) string {
	var m map[string]any
	Expect(json.Unmarshal([]byte(conf), &m)).To(Succeed())
	m["prevResult"] = json.RawMessage(added)
	b, err := json.Marshal(m)
	Expect(err).NotTo(HaveOccurred())
	return string(b)
}

// plugin is the bridge plugin set up for command on the namespace at path,
// as a runtime invokes it.
func plugin(command, path, conf string) *exec.Cmd {
	dir := cni.PluginsDir()
	cmd := exec.Command(dir + "/bridge")
	cmd.Env = append(os.Environ(), "CNI_COMMAND="+command, "CNI_CONTAINERID=spec-1",
		"CNI_NETNS="+path, "CNI_IFNAME=eth0", "CNI_PATH="+dir)
	cmd.Stdin = strings.NewReader(conf)
	return cmd
}

// result is the part of a CNI ADD result the specs look at.
type result struct {
	IPs []struct {
		Address string `json:"address"`
		Gateway string `json:"gateway"`
	} `json:"ips"`
}

var _ = Describe("CNI plugins on namespaces named by path", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("adds, checks and deletes a container's interface through netns.Path", func() {
		node, container := netns.NewTransient(netns.WithName("node")), netns.NewTransient(netns.WithName("container"))
		path, conf := netns.Path(container), config(GinkgoT().TempDir())

		added := netns.Output(node, plugin("ADD", path, conf))
		var res result
		Expect(json.Unmarshal([]byte(added), &res)).To(Succeed())
		Expect(res.IPs).To(HaveLen(1))
		Expect(res.IPs[0].Address).To(Equal("10.22.0.2/24"))
		eth0, err := netns.NewNetlinkHandle(container).LinkByName("eth0")
		Expect(err).NotTo(HaveOccurred(), "the plugin made eth0 in the container's namespace")
		addrs, err := netns.NewNetlinkHandle(container).AddrList(eth0, netlink.FAMILY_V4)
		Expect(err).NotTo(HaveOccurred())
		Expect(addrs).To(ContainElement(HaveField("IPNet.String()", "10.22.0.2/24")))
		Expect(node).To(reach.Reach("10.22.0.2"))

		netns.Run(node, plugin("CHECK", path, withPrevResult(conf, added)))
		netns.Run(node, plugin("DEL", path, conf))
		_, err = netns.NewNetlinkHandle(container).LinkByName("eth0")
		Expect(err).To(HaveOccurred(), "DEL removed eth0 from the container's namespace")
	})

	It("attaches a lab host through its Path", func() {
		l := lab.New()
		node, alice := l.Host("node"), l.Host("alice")
		node.Output(plugin("ADD", alice.Path(), config(GinkgoT().TempDir())))
		Expect(node).To(lab.Reach("10.22.0.2"))
		Expect(alice).To(lab.Reach("10.22.0.1"))
	})
})
