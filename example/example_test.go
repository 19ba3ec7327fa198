package example_test

import (
	"io"
	"net"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/dummy"
	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/macvlan"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

// namesOf returns the names of the links.
func namesOf(links []netlink.Link) []string {
	names := make([]string, 0, len(links))
	for _, l := range links {
		names = append(names, l.Attrs().Name)
	}
	return names
}

// cidr parses an address such as "192.0.2.1/24" for netlink.
func cidr(s string) *netlink.Addr {
	GinkgoHelper()
	a, err := netlink.ParseAddr(s)
	Expect(err).NotTo(HaveOccurred())
	return a
}

var _ = Describe("scratchnet by example", func() {

	// Creating namespaces and links needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN).
	BeforeEach(guard.SkipUnlessPrivileged)

	It("runs a spec inside a network namespace of its own", func() {
		By("entering a transient network namespace for the rest of this spec")
		// Locks this goroutine to its thread and moves the thread; the
		// deferred call moves it back. lo is already up in the new namespace.
		defer netns.EnterTransient()()

		By("finding nothing but lo in it")
		links, err := netlink.LinkList() // package-level calls act in the thread's namespace
		Expect(err).NotTo(HaveOccurred())
		Expect(namesOf(links)).To(ConsistOf("lo"))

		By("listening on 127.0.0.1, which works at once")
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		Expect(ln.Close()).To(Succeed())
	})

	It("joins two transient namespaces with a veth pair and talks TCP across it", func() {
		By("creating two transient network namespaces, without entering them")
		left, right := netns.NewTransient(), netns.NewTransient()

		By("joining them with a veth pair: dupond goes into left, dupont into right")
		dupond, dupont := veth.NewTransient(veth.InNamespace(left), veth.WithPeerNamespace(right))
		// Each end carries its index in its own namespace, and its
		// LinkAttrs.Namespace names that namespace, so helpers find it there.
		Expect(dupond.Attrs().Namespace).To(Equal(netlink.NsFd(left)))
		Expect(dupont.Attrs().Namespace).To(Equal(netlink.NsFd(right)))

		By("bringing both ends up")
		// link.EnsureUp brings up one link and waits until it is
		// operationally UP; a veth end only gets there once its peer is up
		// as well, so EnsureAllUp sets both up first and then waits for each.
		link.EnsureAllUp(dupond, dupont)

		By("giving each end an address, through netlink handles bound to the namespaces")
		Expect(netns.NewNetlinkHandle(left).AddrAdd(dupond, cidr("192.0.2.1/24"))).To(Succeed())
		Expect(netns.NewNetlinkHandle(right).AddrAdd(dupont, cidr("192.0.2.2/24"))).To(Succeed())

		By("looking around inside left with netns.Execute")
		netns.Execute(left, func() {
			// This goroutine's thread is in left until Execute returns.
			links, err := netlink.LinkList()
			Expect(err).NotTo(HaveOccurred())
			Expect(namesOf(links)).To(ConsistOf("lo", dupond.Attrs().Name))
			l, err := netlink.LinkByName(dupond.Attrs().Name)
			Expect(err).NotTo(HaveOccurred())
			Expect(l.Attrs().Index).To(Equal(dupond.Attrs().Index))
			Expect(l.Attrs().OperState).To(Equal(netlink.LinkOperState(netlink.OperUp)))
		})

		By("listening in right")
		// A socket belongs to the namespace it was created in, so it may be
		// used from anywhere once Execute has returned.
		var ln net.Listener
		netns.Execute(right, func() {
			var err error
			ln, err = net.Listen("tcp", "192.0.2.2:0")
			Expect(err).NotTo(HaveOccurred())
		})
		DeferCleanup(ln.Close)

		By("connecting from left and saying hello across the veth pair")
		var conn net.Conn
		netns.Execute(left, func() {
			var err error
			conn, err = net.Dial("tcp", ln.Addr().String())
			Expect(err).NotTo(HaveOccurred())
		})
		DeferCleanup(conn.Close)
		peer, err := ln.Accept()
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(peer.Close)
		Expect(peer.RemoteAddr().(*net.TCPAddr).IP.String()).To(Equal("192.0.2.1"))
		_, err = conn.Write([]byte("hello"))
		Expect(err).NotTo(HaveOccurred())
		Expect(conn.(*net.TCPConn).CloseWrite()).To(Succeed())
		Expect(io.ReadAll(peer)).To(Equal([]byte("hello")))
	})

	It("stacks a macvlan on a veth end that lives in another namespace", func() {
		By("creating one namespace for the parent and one for the macvlan")
		parentNs, ns := netns.NewTransient(), netns.NewTransient()

		By("creating a veth pair inside parentNs and bringing it up, to serve as parent")
		parent, other := veth.NewTransient(veth.InNamespace(parentNs), veth.WithPeerNamespace(parentNs))
		link.EnsureAllUp(parent, other)

		By("stacking a macvlan on it: the parent is looked up in parentNs, the macvlan goes into ns")
		// The kernel looks the parent's index up in the namespace of the
		// netlink socket asking, not in the macvlan's destination:
		// WithLinkNamespace sends the request from parentNs.
		mcvl := macvlan.NewTransient(parent,
			macvlan.WithLinkNamespace(parentNs),
			macvlan.InNamespace(ns))
		link.EnsureUp(mcvl)

		By("looking around inside ns with netns.Execute")
		netns.Execute(ns, func() {
			links, err := netlink.LinkList()
			Expect(err).NotTo(HaveOccurred())
			Expect(namesOf(links)).To(ConsistOf("lo", mcvl.Attrs().Name))

			l, err := netlink.LinkByIndex(mcvl.Attrs().Index)
			Expect(err).NotTo(HaveOccurred())
			Expect(l).To(BeAssignableToTypeOf(&netlink.Macvlan{}))
			Expect(l.Attrs().Name).To(Equal(mcvl.Attrs().Name))
			Expect(l.(*netlink.Macvlan).Mode).To(Equal(netlink.MACVLAN_MODE_BRIDGE), "the default mode")
			// The parent lives elsewhere: ns names it by its index in parentNs
			// together with the nsid ns uses for parentNs.
			Expect(l.Attrs().ParentIndex).To(Equal(parent.Attrs().Index))
			Expect(l.Attrs().NetNsID).To(Equal(netns.NsID(parentNs)))
			Expect(l.Attrs().OperState).To(Equal(netlink.LinkOperState(netlink.OperUp)))
		})
	})

	It("uses a dummy link where the kernel has the driver", func() {
		By("skipping cleanly unless the kernel supports dummy links")
		// Minimal kernels often lack the dummy driver; this spec then skips
		// with `kernel does not support link type "dummy"`.
		link.SkipUnlessSupported("dummy")

		By("creating a dummy link, up, in a transient namespace")
		ns := netns.NewTransient()
		d := dummy.NewTransientUp(dummy.InNamespace(ns))

		By("looking at it from inside the namespace")
		netns.Execute(ns, func() {
			l, err := netlink.LinkByName(d.Attrs().Name)
			Expect(err).NotTo(HaveOccurred())
			Expect(l.Type()).To(Equal("dummy"))
			Expect(l.Attrs().Index).To(Equal(d.Attrs().Index))
			// A dummy link has no carrier to speak of: up means UNKNOWN.
			Expect(l.Attrs().OperState).To(Equal(netlink.LinkOperState(netlink.OperUnknown)))
		})
	})
})
