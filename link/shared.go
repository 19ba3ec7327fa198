package link

import (
	"errors"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// Locate finds the existing link l where it lives and returns a new fd
// referring to that namespace, which the caller must close, and the link as
// the kernel has it there. Helpers that act on existing links, such as the
// impair package's queueing disciplines, start here.
//
// The namespace is, in this order: the LinkNamespace of l's [Link] wrapper
// (see [WrapWithLinkNamespace]), l's LinkAttrs.Namespace, or else the
// calling thread's; a wrapper and a LinkAttrs.Namespace naming different
// namespaces fail. There, l is looked up by its Index, which must belong to
// a link named l's Name, or else by its Name. A link that names no
// namespace and is not found so in the calling thread's fails with a message
// saying how to name its namespace: links looked up through a handle bound
// to another namespace (netns.NewNetlinkHandle, a lab host's Handle) name
// none. Such a link whose index and name also exist in the calling thread's
// namespace, such as lo, cannot be told apart there: name its namespace.
func Locate(l netlink.Link) (nsfd int, found netlink.Link, err error) {
	nsfd, h, found, err := locate(l)
	if err != nil {
		return -1, nil, err
	}
	h.Close()
	return nsfd, found, nil
}

// locate is [Locate] that also returns its handle, bound to nsfd, which the
// caller closes.
func locate(l netlink.Link) (int, *netlink.Handle, netlink.Link, error) {
	if isNil(l) {
		return -1, nil, nil, errors.New("link is nil")
	}
	plain, wrapped := Unwrap(l)
	nsfd, assumed, err := nsops.ExistingLinkNs(plain, wrapped)
	if err != nil {
		return -1, nil, nil, err
	}
	h, err := nsops.RouteHandleAt(nsfd)
	if err != nil {
		unix.Close(nsfd)
		return -1, nil, nil, err
	}
	found, err := nsops.FindLink(h, nsfd, plain, assumed)
	if err != nil {
		h.Close()
		unix.Close(nsfd)
		return -1, nil, nil, err
	}
	return nsfd, h, found, nil
}
