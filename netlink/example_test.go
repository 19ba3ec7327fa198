package netlink_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/netns"
)

// The workaround for gotcha 1 that code under test can use too: a handle
// bound to a namespace acts there from whatever goroutine or thread calls
// it, where vishvananda/netlink's package-level functions act in the calling
// thread's namespace. It only compiles here: it needs the privilege to
// create namespaces.
func Example() {
	It("lists the links of a namespace from any goroutine", func() {
		ns := netns.NewTransient()
		h := netns.NewNetlinkHandle(ns) // closed at the end of the spec
		links, err := h.LinkList()
		Expect(err).NotTo(HaveOccurred())
		Expect(links).To(ContainElement(WithTransform(
			func(l netlink.Link) string { return l.Attrs().Name }, Equal("lo"))))
	})
}

// A handle of vishvananda/netlink's own, with the NETLINK_ROUTE family only,
// as the project's specs open them: it works on kernels without the XFRM and
// netfilter families, but sends requests of those families through the
// calling thread's namespace (gotcha 7).
func Example_routeOnly() {
	It("opens a route-only handle in a namespace", func() {
		h, err := netlink.NewHandleAt(vnetns.NsHandle(netns.NewTransient()), unix.NETLINK_ROUTE)
		Expect(err).NotTo(HaveOccurred())
		defer h.Close()
	})
}
