package recipes_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/lab"
)

// udhcpcScript is what busybox's udhcpc runs at each DHCP event, as a
// distribution's default script does, reduced to the lease: it gives the
// interface the address it was offered and routes through the router the
// server named.
const udhcpcScript = `#!/bin/sh
case "$1" in
bound|renew)
	ip addr flush dev "$interface"
	ip addr add "$ip/$mask" dev "$interface"
	[ -n "$router" ] && ip route replace default via "${router%% *}" dev "$interface"
	;;
esac
exit 0
`

// dnsmasq hands out addresses on a segment; busybox's udhcpc, a real DHCP
// client, takes one.
var _ = Describe("a DHCP server and client", func() {
	BeforeEach(guard.SkipUnlessPrivileged)

	It("gets a lease and uses it", func() {
		l := lab.New()
		server, client := l.Host("server"), l.Host("client")
		lan := l.Segment("lan", lab.Subnet("192.168.50.0/24"))
		serverEnd := lan.Attach(server)[0]                 // 192.168.50.1
		clientEnd := lan.AttachWith(client, lab.NoAddrs()) // up, without an address

		dir := GinkgoT().TempDir()
		// --port=0: no DNS; --no-ping: dnsmasq would otherwise ping each
		// address for seconds before offering it, looking for hosts that use
		// it without a lease, which a fresh segment does not have.
		server.Start(exec.Command("dnsmasq", "-d", "--conf-file=/dev/null", "--port=0",
			"--interface="+serverEnd.Name(), "--bind-interfaces", "--no-ping",
			"--dhcp-range=192.168.50.100,192.168.50.150,255.255.255.0,1h",
			"--dhcp-option=option:router,192.168.50.1",
			"--dhcp-leasefile="+filepath.Join(dir, "leases"))).WaitListening("udp", 67)

		script := filepath.Join(dir, "udhcpc.sh")
		Expect(os.WriteFile(script, []byte(udhcpcScript), 0o755)).To(Succeed())
		// -q: quit once bound; -n: fail rather than wait forever; -t/-T: up
		// to 5 discovers a second apart.
		client.Run(exec.Command("busybox", "udhcpc", "-f", "-q", "-n", "-t", "5", "-T", "1",
			"-i", clientEnd.Name(), "-s", script))

		addrs, err := client.Handle().AddrList(clientEnd.Link, netlink.FAMILY_V4)
		Expect(err).NotTo(HaveOccurred())
		Expect(addrs).To(ConsistOf(HaveField("IPNet.String()", MatchRegexp(`^192\.168\.50\.1([0-4][0-9]|50)/24$`))))
		routes, err := client.Handle().RouteGet(net.ParseIP("198.51.100.1"))
		Expect(err).NotTo(HaveOccurred())
		Expect(routes[0].Gw.String()).To(Equal("192.168.50.1"), "the default route goes through the router the lease named")
		Expect(client).To(lab.Reach(server))
		Expect(os.ReadFile(filepath.Join(dir, "leases"))).To(ContainSubstring(addrs[0].IP.String()),
			"dnsmasq recorded the lease it gave")
	})
})
