//go:build bench

package bench_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/lab"
)

// The scale series: labs of k hosts, for k = 10, 100 and 1000, built by the
// lab package and by raw netlink requests doing the same kernel work, in
// two shapes: k hosts on one segment (their namespaces made one by one, or
// all at once by AddHosts), and a chain of k routers.
//
// Each size is built several times (small labs more often, so that each
// size weighs about the same in the run), the lab and its raw twin in turns,
// the first of a pair alternating. Between any two builds the suite waits
// until the kernel has destroyed the namespaces of the previous one (see
// settleNamespaces): a build that starts while the kernel still tears down
// a thousand namespaces in the background is slower by half or more.
//
// What still makes a segment's later hosts dearer is the kernel's, and
// shows in the raw twin as well: each host's IPv6 joins two solicited-node
// groups (its link-local address's and its lab address's) and announces
// them in MLDv2 reports, each change reported twice (the robustness
// variable, 2, not settable inside a namespace), about four reports per
// host. A bridge with no multicast querier floods every report to every
// port, and every other member's kernel takes and drops it: the k-th host
// costs k deliveries per report. Counted at the first port of a raw
// segment of 1000 hosts: 3.8 flooded frames per host, all MLD reports;
// the same raw work with IPv6 off in the hosts floods nothing and costs
// 1.1x per host at k=1000 what it costs at k=10. Suppressing the reports
// (a querier on the bridge, or dropping them) would change what a segment
// carries for users who run multicast routers or queriers in a lab.
var scaleSizes = []struct{ k, runs int }{{10, 21}, {100, 5}, {1000, 3}}

var _ = Describe("scratchnet at scale", Serial, func() {
	BeforeEach(guard.SkipUnlessPrivileged)

	It("costs the same per host at a thousand hosts as at ten", func() {
		type series struct {
			name     string
			lab, raw func(k int)
		}
		all := []series{
			{"segment: k hosts on one bridge", labSegment, rawSegment},
			{"segment, hosts made by AddHosts", labSegmentAddHosts, rawSegment},
			{"chain: k routers in a row", labChain, rawChain},
		}
		var sb strings.Builder
		fmt.Fprintf(&sb, "%-34s %5s %12s %12s %10s\n", "scale series (per host, medians)", "k", "lab", "raw", "lab/raw")
		for _, s := range all {
			perHost := map[int][]time.Duration{}
			rawPerHost := map[int][]time.Duration{}
			ratios := map[int][]float64{}
			for _, size := range scaleSizes {
				for i := range size.runs {
					timeLab := func() time.Duration { return timeBuild(size.k, s.lab) }
					timeRaw := func() time.Duration { return timeBuild(size.k, s.raw) }
					var dl, dr time.Duration
					if i%2 == 0 {
						dl, dr = timeLab(), timeRaw()
					} else {
						dr, dl = timeRaw(), timeLab()
					}
					perHost[size.k] = append(perHost[size.k], dl/time.Duration(size.k))
					rawPerHost[size.k] = append(rawPerHost[size.k], dr/time.Duration(size.k))
					ratios[size.k] = append(ratios[size.k], float64(dl)/float64(dr))
				}
			}
			for _, size := range scaleSizes {
				fmt.Fprintf(&sb, "%-34s %5d %12s %12s %10.2f\n", s.name, size.k,
					median(perHost[size.k]).Round(time.Microsecond), median(rawPerHost[size.k]).Round(time.Microsecond),
					medianFloat(ratios[size.k]))
			}
			first, last := scaleSizes[0].k, scaleSizes[len(scaleSizes)-1].k
			fmt.Fprintf(&sb, "%-34s lab last/first = %.2f (target <= 1.20), raw last/first = %.2f, lab/raw at k=%d = %.2f (target <= 1.50)\n",
				"", float64(median(perHost[last]))/float64(median(perHost[first])),
				float64(median(rawPerHost[last]))/float64(median(rawPerHost[first])),
				last, medianFloat(ratios[last]))
		}
		publish(sb.String())
	})
})

func medianFloat(fs []float64) float64 {
	s := slices.Clone(fs)
	slices.Sort(s)
	return s[len(s)/2]
}

// timeBuild waits for the kernel to settle, then times build(k), teardown
// included.
func timeBuild(k int, build func(k int)) time.Duration {
	settleNamespaces()
	start := time.Now()
	build(k)
	return time.Since(start)
}

// settleNamespaces waits until the kernel has finished destroying the
// network namespaces closed before: closing a namespace's last reference
// only queues its destruction (cleanup_net, on a kernel worker), and that
// work competes with whatever is built next. The number of live struct
// net objects shows in /proc/slabinfo (root only) as the active objects of
// the net_namespace cache; the wait ends when it stops falling for 100ms, or
// after 30s. Without that line (a kernel that merged the cache into
// another) it waits a fixed 2s.
func settleNamespaces() {
	count, ok := liveNamespaces()
	if !ok {
		time.Sleep(2 * time.Second)
		return
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		now, _ := liveNamespaces()
		if now >= count {
			return
		}
		count = now
	}
}

// liveNamespaces reads the active net_namespace objects from /proc/slabinfo.
func liveNamespaces() (int, bool) {
	f, err := os.Open("/proc/slabinfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 1 && fields[0] == "net_namespace" {
			n, err := strconv.Atoi(fields[1])
			return n, err == nil
		}
	}
	return 0, false
}

// scaleSubnet holds the IPv4 addresses of a thousand segment members.
const scaleSubnet = "10.0.0.0/16"

func labSegment(k int) {
	run(func(t testing.TB) {
		l := lab.NewT(t)
		s := l.Segment("lan", lab.Subnet(scaleSubnet))
		for i := range k {
			s.Attach(l.Host(fmt.Sprintf("h%d", i+1)))
		}
	})
}

// labSegmentAddHosts is labSegment with the hosts' namespaces made in one
// AddHosts call, on both cores, against the same serial raw work.
func labSegmentAddHosts(k int) {
	run(func(t testing.TB) {
		l := lab.NewT(t)
		s := l.Segment("lan", lab.Subnet(scaleSubnet))
		names := make([]string, k)
		for i := range names {
			names[i] = fmt.Sprintf("h%d", i+1)
		}
		for _, h := range l.AddHosts(names...) {
			s.Attach(h)
		}
	})
}

func labChain(k int) {
	run(func(t testing.TB) {
		l := lab.NewT(t)
		prev := l.Router("r1")
		for i := 1; i < k; i++ {
			r := l.Router(fmt.Sprintf("r%d", i+1))
			l.Connect(prev, r)
			prev = r
		}
	})
}

// rawSegment does the kernel work of labSegment directly: a namespace with
// IPv6 off for new links (no DAD) and bridged frames kept out of its
// netfilter hooks, with a bridge, set up; per host a namespace (lo up, no DAD, no
// router solicitations), a veth from the
// segment's namespace whose one end is the bridge's port and whose other is
// in the host, an IPv4 and an IPv6 address (no DAD) on the host's end, both
// ends set up, the host's end polled until operationally UP. Then every
// namespace is closed.
func rawSegment(k int) {
	segFd, seg := rawSegmentNs()
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "lan"}}
	Expect(seg.LinkAdd(br)).To(Succeed())
	Expect(seg.LinkSetUp(br)).To(Succeed())
	fds := []int{segFd}
	for i := range k {
		fd, h := rawHost()
		fds = append(fds, fd)
		port := &netlink.Veth{
			LinkAttrs: netlink.LinkAttrs{Name: fmt.Sprintf("h%d", i+1), MasterIndex: br.Index},
			PeerName:  "lan", PeerNamespace: netlink.NsFd(fd),
		}
		Expect(seg.LinkAdd(port)).To(Succeed())
		hostEnd, err := h.LinkByName("lan")
		Expect(err).NotTo(HaveOccurred())
		n := i + 1
		rawAddr(h, hostEnd, net.IPv4(10, 0, byte(n>>8), byte(n)), 16)
		rawAddr(h, hostEnd, net.IP{0: 0xfd, 15: byte(n), 14: byte(n >> 8)}, 64)
		Expect(seg.LinkSetUp(port)).To(Succeed())
		Expect(h.LinkSetUp(hostEnd)).To(Succeed())
		rawPollUp(h, hostEnd.Attrs().Index)
		h.Close()
	}
	seg.Close()
	for _, fd := range fds {
		unix.Close(fd)
	}
}

// rawSegmentNs creates a namespace as a lab segment's is: lo up, IPv6 off
// for new links, the bridge netfilter knobs off where br_netfilter has
// them.
func rawSegmentNs() (int, *netlink.Handle) {
	return rawLabNs(func() {
		rawSysctl("ipv6/conf/default/disable_ipv6", "1")
		if _, err := os.Stat("/proc/sys/net/bridge"); err == nil {
			for _, knob := range []string{"arptables", "iptables", "ip6tables"} {
				rawSysctl("bridge/bridge-nf-call-"+knob, "0")
			}
		}
	})
}

// rawChain does the kernel work of labChain directly: k namespaces (lo up,
// no DAD, no router solicitations, forwarding on), a veth between each and
// the next, an IPv4 and an IPv6 address (no DAD) on each end, both ends set
// up and polled until operationally UP. Then every namespace is closed.
func rawChain(k int) {
	var fds []int
	var handles []*netlink.Handle
	router := func() (int, *netlink.Handle) {
		fd, h := rawLabNs(func() {
			rawSysctl("ipv6/conf/default/router_solicitations", "0")
			for _, knob := range []string{"ipv4/ip_forward", "ipv6/conf/all/forwarding"} {
				rawSysctl(knob, "1")
			}
		})
		fds, handles = append(fds, fd), append(handles, h)
		return fd, h
	}
	_, prev := router()
	for i := 1; i < k; i++ {
		fd, h := router()
		a := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: fmt.Sprintf("r%d", i+1)}, PeerName: fmt.Sprintf("r%d", i), PeerNamespace: netlink.NsFd(fd)}
		Expect(prev.LinkAdd(a)).To(Succeed())
		b, err := h.LinkByName(fmt.Sprintf("r%d", i))
		Expect(err).NotTo(HaveOccurred())
		rawAddr(prev, a, net.IPv4(10, byte(i>>8), byte(i), 1), 24)
		rawAddr(prev, a, net.IP{0: 0xfd, 6: byte(i >> 8), 7: byte(i), 15: 1}, 64)
		rawAddr(h, b, net.IPv4(10, byte(i>>8), byte(i), 2), 24)
		rawAddr(h, b, net.IP{0: 0xfd, 6: byte(i >> 8), 7: byte(i), 15: 2}, 64)
		Expect(prev.LinkSetUp(a)).To(Succeed())
		Expect(h.LinkSetUp(b)).To(Succeed())
		rawPollUp(prev, a.Index)
		rawPollUp(h, b.Attrs().Index)
		prev = h
	}
	for _, h := range handles {
		h.Close()
	}
	for _, fd := range fds {
		unix.Close(fd)
	}
}

// rawAddr adds ip/bits to l, IPv6 without DAD.
func rawAddr(h *netlink.Handle, l netlink.Link, ip net.IP, bits int) {
	a := &netlink.Addr{IPNet: &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, 128)}}
	if v4 := ip.To4(); v4 != nil {
		a.IPNet = &net.IPNet{IP: v4, Mask: net.CIDRMask(bits, 32)}
	} else {
		a.Flags = unix.IFA_F_NODAD
	}
	Expect(h.AddrAdd(l, a)).To(Succeed())
}

// rawPollUp asks for the link until it is operationally UP.
func rawPollUp(h *netlink.Handle, index int) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		l, err := h.LinkByIndex(index)
		Expect(err).NotTo(HaveOccurred())
		if l.Attrs().OperState == netlink.OperUp {
			return
		}
		Expect(time.Now().Before(deadline)).To(BeTrue(), "link %d not up after 5s", index)
	}
}
