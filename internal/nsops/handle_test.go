package nsops_test

import (
	"errors"
	"net"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/netns"
)

// socketIno returns the inode number of the network namespace the socket
// fd lives in, as the kernel tells (SIOCGSKNS).
func socketIno(fd int) uint64 {
	GinkgoHelper()
	nsfd, err := unix.IoctlRetInt(fd, unix.SIOCGSKNS)
	Expect(err).NotTo(HaveOccurred(), "cannot ask the kernel for the namespace of socket %d", fd)
	defer unix.Close(nsfd)
	ino, err := nsops.Ino(nsfd)
	Expect(err).NotTo(HaveOccurred())
	return ino
}

// needFamily skips the spec unless the kernel offers the netlink family.
func needFamily(family int, name, module string) {
	GinkgoHelper()
	s, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, family)
	if err == nil {
		unix.Close(s)
		return
	}
	Skip("kernel does not support netlink family " + name + " (" + module + " not loaded): " + err.Error())
}

// conntrackMissing tells an error of a kernel whose nfnetlink lacks the
// conntrack subsystem (nf_conntrack_netlink not loaded; nfnetlink answers
// EINVAL for a subsystem it does not have), as sid's kernel, which builds
// nfnetlink in, does in the VM: such a request reaches no namespace.
func conntrackMissing(err error) bool {
	return errors.Is(err, unix.EINVAL)
}

// needConntrack skips unless the kernel answers conntrack requests over
// netlink, asking in the namespace nsfd refers to.
func needConntrack(nsfd int) {
	GinkgoHelper()
	needFamily(unix.NETLINK_NETFILTER, "NETLINK_NETFILTER", "nfnetlink")
	if _, err := boundHandle(nsfd, nsops.HandleAt).ConntrackTableList(netlink.ConntrackTable, unix.AF_INET); conntrackMissing(err) {
		Skip("kernel does not support conntrack over netlink (nf_conntrack_netlink not loaded): " + err.Error())
	}
}

func boundHandle(fd int, open func(int) (*netlink.Handle, error)) *netlink.Handle {
	GinkgoHelper()
	h, err := open(fd)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(h.Close)
	return h
}

func policy() *netlink.XfrmPolicy {
	_, src, _ := net.ParseCIDR("10.1.0.0/24")
	_, dst, _ := net.ParseCIDR("10.2.0.0/24")
	return &netlink.XfrmPolicy{Src: src, Dst: dst, Dir: netlink.XFRM_DIR_OUT}
}

func flow() *netlink.ConntrackFlow {
	return &netlink.ConntrackFlow{
		FamilyType: unix.AF_INET,
		Forward:    netlink.IPTuple{SrcIP: net.IPv4(10, 1, 0, 1), DstIP: net.IPv4(10, 2, 0, 1), Protocol: unix.IPPROTO_UDP, SrcPort: 4000, DstPort: 53},
		Reverse:    netlink.IPTuple{SrcIP: net.IPv4(10, 2, 0, 1), DstIP: net.IPv4(10, 1, 0, 1), Protocol: unix.IPPROTO_UDP, SrcPort: 53, DstPort: 4000},
		TimeOut:    100,
	}
}

var _ = Describe("a bound handle silently talked to the wrong namespace: bound handles now reach only their own, whatever the netlink family", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	var target, caller int
	var targetIno uint64
	BeforeEach(func() {
		target, caller = netns.NewTransient(netns.WithName("target")), netns.NewTransient(netns.WithName("caller"))
		targetIno = netns.Ino(target)
	})

	// fromCaller sends requests from a thread in the caller namespace, so
	// that a request that escaped its handle would land there, not in the
	// suite's own namespace.
	fromCaller := func(fn func()) {
		GinkgoHelper()
		Expect(nsops.Do(caller, fn)).To(Succeed())
	}

	It("opens the socket of every family inside the target namespace", func() {
		for _, open := range []func(int) (*netlink.Handle, error){nsops.HandleAt, nsops.RouteHandleAt} {
			var h *netlink.Handle
			fromCaller(func() { h = boundHandle(target, open) })
			sockets, err := nsops.SocketsOf(h)
			Expect(err).NotTo(HaveOccurred())
			for _, fam := range append([]int{unix.NETLINK_ROUTE}, nsops.Families...) {
				Expect(sockets).To(HaveKey(fam))
				Expect(socketIno(sockets[fam].Socket.GetFd())).To(Equal(targetIno), "family %d", fam)
			}
		}
	})

	It("adds an XFRM policy in the target namespace, not in the caller's", func() {
		needFamily(unix.NETLINK_XFRM, "NETLINK_XFRM", "xfrm_user")
		fromCaller(func() {
			Expect(boundHandle(target, nsops.HandleAt).XfrmPolicyAdd(policy())).To(Succeed())
		})
		Expect(boundHandle(target, nsops.HandleAt).XfrmPolicyList(netlink.FAMILY_ALL)).To(HaveLen(1))
		Expect(boundHandle(caller, nsops.HandleAt).XfrmPolicyList(netlink.FAMILY_ALL)).To(BeEmpty())
	})

	It("creates a conntrack entry (NETFILTER) in the target namespace, not in the caller's", func() {
		needConntrack(target)
		fromCaller(func() {
			Expect(boundHandle(target, nsops.HandleAt).ConntrackCreate(netlink.ConntrackTable, unix.AF_INET, flow())).To(Succeed())
		})
		Expect(boundHandle(target, nsops.HandleAt).ConntrackTableList(netlink.ConntrackTable, unix.AF_INET)).To(HaveLen(1))
		Expect(boundHandle(caller, nsops.HandleAt).ConntrackTableList(netlink.ConntrackTable, unix.AF_INET)).To(BeEmpty())
	})

	It("answers GENERIC requests through the target namespace's socket", func() {
		h := boundHandle(target, nsops.HandleAt)
		Expect(h.GenlFamilyGet("nlctrl")).To(HaveField("Name", "nlctrl"))
	})

	It("fails a request of a family without a real socket, and sends it nowhere", func() {
		fromCaller(func() {
			h := boundHandle(target, nsops.RouteHandleAt)
			Expect(h.XfrmPolicyAdd(policy())).To(MatchError(unix.ECONNREFUSED))
			Expect(h.ConntrackCreate(netlink.ConntrackTable, unix.AF_INET, flow())).To(MatchError(unix.ECONNREFUSED))
			_, err := h.GenlFamilyList()
			Expect(err).To(MatchError(unix.ECONNREFUSED))
			Expect(h.LinkByName("lo")).NotTo(BeNil(), "ROUTE requests still work")
		})
		// Where the kernel has the families, nothing arrived anywhere.
		for _, ns := range []int{target, caller} {
			h := boundHandle(ns, nsops.HandleAt)
			if policies, err := h.XfrmPolicyList(netlink.FAMILY_ALL); !errors.Is(err, unix.ECONNREFUSED) {
				Expect(err).NotTo(HaveOccurred())
				Expect(policies).To(BeEmpty())
			}
			if flows, err := h.ConntrackTableList(netlink.ConntrackTable, unix.AF_INET); !errors.Is(err, unix.ECONNREFUSED) && !conntrackMissing(err) {
				Expect(err).NotTo(HaveOccurred())
				Expect(flows).To(BeEmpty())
			}
		}
	})

	It("still works for NETLINK_ROUTE where the kernel refuses another family", func() {
		// NETLINK_RDMA needs ib_core, which few kernels running tests have;
		// its stand-in refuses every request.
		s, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_RDMA)
		if err == nil {
			unix.Close(s)
			Skip("kernel supports netlink family NETLINK_RDMA here, so no family is missing")
		}
		h := boundHandle(target, nsops.HandleAt)
		Expect(h.LinkByName("lo")).NotTo(BeNil())
		_, err = h.RdmaLinkList()
		Expect(err).To(MatchError(unix.ECONNREFUSED))
	})
})
