//go:build bench

package bench_test

import (
	"net"
	"time"

	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// rawLabNs creates a namespace as the lab makes its namespaces, written
// directly against the kernel: unshare on a locked thread, a netlink handle
// opened inside, lo set up by index, duplicate address detection turned
// off, then what role does for the namespace's role, and switch back.
func rawLabNs(role func()) (int, *netlink.Handle) {
	var h *netlink.Handle
	fd := rawNetnsDoing(func() {
		var err error
		h, err = netlink.NewHandle(unix.NETLINK_ROUTE)
		Expect(err).NotTo(HaveOccurred())
		Expect(h.LinkSetUp(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: 1}})).To(Succeed())
		for _, knob := range []string{"ipv6/conf/default/accept_dad", "ipv6/conf/all/accept_dad"} {
			rawSysctl(knob, "0")
		}
		role()
	})
	return fd, h
}

// rawHost creates a namespace as a lab host's is: rawLabNs with router
// solicitations turned off.
func rawHost() (int, *netlink.Handle) {
	return rawLabNs(func() { rawSysctl("ipv6/conf/default/router_solicitations", "0") })
}

// rawSysctl writes a knob below /proc/sys/net of the calling thread's
// namespace.
func rawSysctl(knob, value string) {
	f, err := unix.Open("/proc/sys/net/"+knob, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	Expect(err).NotTo(HaveOccurred())
	_, err = unix.Write(f, []byte(value))
	Expect(err).NotTo(HaveOccurred())
	unix.Close(f)
}

// rawLab does the kernel work of row (d) with nothing else: two hosts, a
// veth pair between them with an IPv4 and an IPv6 address on each end (no
// DAD), both ends set up and polled until operationally UP, then the
// namespaces closed.
func rawLab() {
	alice, ha := rawHost()
	bob, hb := rawHost()
	a := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "bob"}, PeerName: "alice", PeerNamespace: netlink.NsFd(bob)}
	Expect(ha.LinkAdd(a)).To(Succeed())
	b, err := hb.LinkByName("alice")
	Expect(err).NotTo(HaveOccurred())
	addr := func(h *netlink.Handle, l netlink.Link, ip string, bits int, flags int) {
		ipnet := &net.IPNet{IP: net.ParseIP(ip), Mask: net.CIDRMask(bits, 8*len(net.ParseIP(ip).To16()))}
		if v4 := ipnet.IP.To4(); v4 != nil {
			ipnet = &net.IPNet{IP: v4, Mask: net.CIDRMask(bits, 32)}
		}
		Expect(h.AddrAdd(l, &netlink.Addr{IPNet: ipnet, Flags: flags})).To(Succeed())
	}
	addr(ha, a, "10.0.1.1", 24, 0)
	addr(ha, a, "fd00:0:0:1::1", 64, unix.IFA_F_NODAD)
	addr(hb, b, "10.0.1.2", 24, 0)
	addr(hb, b, "fd00:0:0:1::2", 64, unix.IFA_F_NODAD)
	Expect(ha.LinkSetUp(a)).To(Succeed())
	Expect(hb.LinkSetUp(b)).To(Succeed())
	for _, end := range []struct {
		h     *netlink.Handle
		index int
	}{{ha, a.Index}, {hb, b.Attrs().Index}} {
		deadline := time.Now().Add(5 * time.Second)
		for {
			l, err := end.h.LinkByIndex(end.index)
			Expect(err).NotTo(HaveOccurred())
			if l.Attrs().OperState == netlink.OperUp {
				break
			}
			Expect(time.Now().Before(deadline)).To(BeTrue(), "veth end %d not up after 5s", end.index)
		}
	}
	ha.Close()
	hb.Close()
	unix.Close(alice)
	unix.Close(bob)
}
