package testsupport

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/link"
)

// LinkNames lists the names of the links in the network namespace nsfd
// refers to, failing the spec when it cannot.
func LinkNames(nsfd int) []string {
	GinkgoHelper()
	h, err := nsops.RouteHandleAt(nsfd)
	if err != nil {
		Fail(fmt.Sprintf("cannot list links of network namespace fd %d, reason: %v", nsfd, err))
	}
	defer h.Close()
	links, err := nsops.RetryDump(h.LinkList)
	if err != nil {
		Fail(fmt.Sprintf("cannot list links of network namespace fd %d, reason: %v", nsfd, err))
	}
	names := make([]string, 0, len(links))
	for _, l := range links {
		names = append(names, l.Attrs().Name)
	}
	return names
}

// InNamespace returns l with its LinkAttrs.Namespace set to the namespace nsfd
// refers to, as the module's helpers expect of a link that lives there, for
// links a spec looked up or created through a handle of its own.
func InNamespace(l netlink.Link, nsfd int) netlink.Link {
	l.Attrs().Namespace = netlink.NsFd(nsfd)
	return l
}

// ReadBack returns the link with l's index as the kernel reports it in the
// network namespace nsfd refers to, after checking that it still has l's name
// and is a T; kind suites read their links back with it.
func ReadBack[T netlink.Link](nsfd int, l netlink.Link) T {
	GinkgoHelper()
	h, err := nsops.RouteHandleAt(nsfd)
	if err != nil {
		Fail(fmt.Sprintf("cannot read back link %q, reason: %v", l.Attrs().Name, err))
	}
	defer h.Close()
	found, err := h.LinkByIndex(l.Attrs().Index)
	if err != nil {
		Fail(fmt.Sprintf("cannot read back link %q (index %d), reason: %v", l.Attrs().Name, l.Attrs().Index, err))
	}
	typed, ok := found.(T)
	if !ok || found.Attrs().Name != l.Attrs().Name {
		Fail(fmt.Sprintf("cannot read back link %q (index %d), reason: found %q of type %T", l.Attrs().Name, l.Attrs().Index, found.Attrs().Name, found))
	}
	return typed
}

// VethParent returns one end of a veth pair that lives entirely in the
// network namespace nsfd refers to: a parent or underlay to stack links on.
func VethParent(nsfd int) netlink.Link {
	GinkgoHelper()
	parent, _ := link.NewTransientPair(&netlink.Veth{PeerNamespace: netlink.NsFd(nsfd)}, "veth-", link.InNamespace(nsfd))
	return parent
}

// Bound returns the link named name as a handle bound to the network
// namespace nsfd refers to reports it: with its index there, but with a nil
// LinkAttrs.Namespace, as netns.NewNetlinkHandle and a lab host's Handle
// hand links to users.
func Bound(nsfd int, name string) netlink.Link {
	GinkgoHelper()
	h, err := nsops.RouteHandleAt(nsfd)
	if err != nil {
		Fail(fmt.Sprintf("cannot look up link %q, reason: %v", name, err))
	}
	defer h.Close()
	l, err := h.LinkByName(name)
	if err != nil {
		Fail(fmt.Sprintf("cannot look up link %q in %s, reason: %v", name, nsops.Describe(nsfd), err))
	}
	if l.Attrs().Namespace != nil {
		Fail(fmt.Sprintf("link %q looked up through a bound handle names a namespace, %v", name, l.Attrs().Namespace))
	}
	return l
}

// NetState describes what a helper acting on a link could change in the
// network namespace nsfd refers to: each link with its flags, master and
// root queueing disciplines, and each address. Specs compare it before and
// after a call to show the call left that namespace alone.
func NetState(nsfd int) []string {
	GinkgoHelper()
	h, err := nsops.RouteHandleAt(nsfd)
	if err != nil {
		Fail(fmt.Sprintf("cannot describe %s, reason: %v", nsops.Describe(nsfd), err))
	}
	defer h.Close()
	links, err := nsops.RetryDump(h.LinkList)
	if err != nil {
		Fail(fmt.Sprintf("cannot list links of %s, reason: %v", nsops.Describe(nsfd), err))
	}
	var state []string
	for _, l := range links {
		a := l.Attrs()
		state = append(state, fmt.Sprintf("link %d %q flags %v master %d", a.Index, a.Name, a.Flags, a.MasterIndex))
		qdiscs, err := nsops.RetryDump(func() ([]netlink.Qdisc, error) { return h.QdiscList(l) })
		if err != nil {
			Fail(fmt.Sprintf("cannot list queueing disciplines of %q in %s, reason: %v", a.Name, nsops.Describe(nsfd), err))
		}
		for _, q := range qdiscs {
			state = append(state, fmt.Sprintf("qdisc %q on %q parent %x", q.Type(), a.Name, q.Attrs().Parent))
		}
	}
	addrs, err := nsops.RetryDump(func() ([]netlink.Addr, error) { return h.AddrList(nil, netlink.FAMILY_ALL) })
	if err != nil {
		Fail(fmt.Sprintf("cannot list addresses of %s, reason: %v", nsops.Describe(nsfd), err))
	}
	for _, a := range addrs {
		state = append(state, fmt.Sprintf("address %s on index %d", a.IPNet, a.LinkIndex))
	}
	return state
}
