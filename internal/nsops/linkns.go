package nsops

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
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

// ExistingLinkNs returns a new fd, which the caller closes, for the network
// namespace an existing link lives in. Every helper that acts on an existing
// link resolves it here, in one order: wrapped (the LinkNamespace of the
// link package's wrapper, nil or a netlink.NsFd) if set, else the link's
// LinkAttrs.Namespace, else the calling thread's namespace (the caller then
// holds its thread locked, or the answer is whichever thread its goroutine
// runs on). Two references naming different namespaces fail, rather than
// one silently winning. assumed is empty when a reference named the
// namespace, and [CallersNs] when nothing did: a link looked up through a
// handle bound to another namespace names none, so [FindLink] must not take
// a missing or different link there for granted.
func ExistingLinkNs(l netlink.Link, wrapped any) (fd int, assumed string, err error) {
	wfd, err := NsRef("the wrapper's LinkNamespace", wrapped)
	if err != nil {
		return -1, "", err
	}
	afd, err := NsRef("LinkAttrs.Namespace", l.Attrs().Namespace)
	if err != nil {
		return -1, "", err
	}
	switch {
	case wfd >= 0 && afd >= 0:
		same, err := SameNs(wfd, afd)
		if err != nil {
			return -1, "", err
		}
		if !same {
			return -1, "", fmt.Errorf("the wrapper's LinkNamespace names %s but its LinkAttrs.Namespace names %s; name the one it lives in",
				Describe(wfd), Describe(afd))
		}
		fd, err = Dup(wfd)
		return fd, "", err
	case wfd >= 0:
		fd, err = Dup(wfd)
		return fd, "", err
	case afd >= 0:
		fd, err = Dup(afd)
		return fd, "", err
	}
	fd, err = OpenCurrent()
	return fd, CallersNs, err
}

// CallersNs is how [ExistingLinkNs] says that nothing named the namespace
// of a link, which it then took to be the calling thread's.
const CallersNs = "the calling thread's"

// FindLink returns the existing link l as the kernel has it in the
// namespace nsfd refers to, through h, a handle bound there; nsfd and
// assumed are what [ExistingLinkNs] returned, or assumed says in a few
// words which namespace a caller took for a link that names none. A link
// with an Index is looked up by it and must have l's Name there (when l has
// one): an index alone would name whatever link has it in that namespace,
// such as the caller's own interface. A link without an Index is looked up
// by its Name.
func FindLink(h *netlink.Handle, nsfd int, l netlink.Link, assumed string) (netlink.Link, error) {
	name, index := l.Attrs().Name, l.Attrs().Index
	var found netlink.Link
	var err error
	if index > 0 {
		found, err = h.LinkByIndex(index)
		switch {
		case errors.As(err, new(netlink.LinkNotFoundError)) || errors.Is(err, unix.ENODEV):
			err = fmt.Errorf("no link has index %d", index)
		case err == nil && name != "" && found.Attrs().Name != name:
			err = fmt.Errorf("index %d is link %q", index, found.Attrs().Name)
		}
	} else {
		found, err = h.LinkByName(name)
		if errors.As(err, new(netlink.LinkNotFoundError)) || errors.Is(err, unix.ENODEV) {
			err = fmt.Errorf("no link is named %q", name)
		}
	}
	if err == nil {
		return found, nil
	}
	if assumed != "" {
		return nil, fmt.Errorf("it names no network namespace, so it was looked for in %s %s, where %w; "+
			"a link looked up through a handle bound to another namespace (netns.NewNetlinkHandle, a lab host's Handle) names none: "+
			"name it with link.WrapWithLinkNamespace(l, nsfd) or l.Attrs().Namespace = netlink.NsFd(nsfd)", assumed, Describe(nsfd), err)
	}
	return nil, fmt.Errorf("in %s, %w", Describe(nsfd), err)
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
