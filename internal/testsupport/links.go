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
