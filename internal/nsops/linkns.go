package nsops

import (
	"fmt"

	"github.com/vishvananda/netlink"
)

// NsRef returns the fd a namespace reference of a netlink link names (its
// LinkAttrs.Namespace, a veth's PeerNamespace), or -1 for nil, which means
// the calling thread's namespace. Any other type than nil and netlink.NsFd
// is refused, as is an fd that is not a network namespace; what names the
// reference in the error.
func NsRef(what string, ref any) (int, error) {
	switch r := ref.(type) {
	case nil:
		return -1, nil
	case netlink.NsFd:
		if err := Check(int(r)); err != nil {
			return -1, fmt.Errorf("%s: %w", what, err)
		}
		return int(r), nil
	}
	return -1, fmt.Errorf("%s must be nil or a netlink.NsFd, not a %T", what, ref)
}

// OpenLinkNs returns a new fd, which the caller closes, for the namespace
// the link lives in as its LinkAttrs.Namespace says: that fd's namespace, or
// the calling thread's when it is nil (the caller then holds its thread
// locked, or the answer is whichever thread its goroutine runs on).
func OpenLinkNs(l netlink.Link) (int, error) {
	fd, err := NsRef("LinkAttrs.Namespace", l.Attrs().Namespace)
	if err != nil {
		return -1, err
	}
	if fd >= 0 {
		return Dup(fd)
	}
	return OpenCurrent()
}

// LinkNsIno returns the inode number of the namespace the link lives in, as
// [OpenLinkNs] finds it.
func LinkNsIno(l netlink.Link) (uint64, error) {
	return RefIno("LinkAttrs.Namespace", l.Attrs().Namespace)
}

// RefIno returns the inode number of the namespace a reference names, as
// [NsRef] reads it: nil names the calling thread's.
func RefIno(what string, ref any) (uint64, error) {
	fd, err := NsRef(what, ref)
	if err != nil {
		return 0, err
	}
	if fd >= 0 {
		return Ino(fd)
	}
	return CurrentIno()
}

// SameNs reports whether the fds a and b refer to one network namespace.
func SameNs(a, b int) (bool, error) {
	ia, err := Ino(a)
	if err != nil {
		return false, err
	}
	ib, err := Ino(b)
	if err != nil {
		return false, err
	}
	return ia == ib, nil
}
