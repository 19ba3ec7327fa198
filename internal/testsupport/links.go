package testsupport

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// LinkNames lists the names of the links in the network namespace nsfd
// refers to, failing the spec when it cannot.
func LinkNames(nsfd int) []string {
	GinkgoHelper()
	h, err := nsops.HandleAt(nsfd)
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
