package link

import (
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// Locate finds the existing link l in the namespace its LinkAttrs.Namespace
// names (or the calling thread's), by its Index, else by its Name. It
// returns a new fd referring to that namespace, which the caller must close,
// and the link as the kernel has it there. Helpers that change existing
// links, such as the impair package's queueing disciplines, start here.
func Locate(l netlink.Link) (nsfd int, found netlink.Link, err error) {
	l, _ = Unwrap(l)
	nsfd, err = nsops.OpenLinkNs(l)
	if err != nil {
		return -1, nil, err
	}
	h, err := nsops.RouteHandleAt(nsfd)
	if err != nil {
		unix.Close(nsfd)
		return -1, nil, err
	}
	defer h.Close()
	found, err = lookup(h, l)
	if err != nil {
		unix.Close(nsfd)
		return -1, nil, err
	}
	return nsfd, found, nil
}
