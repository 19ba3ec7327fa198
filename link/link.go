package link

import (
	"fmt"

	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// Link wraps a link template together with the namespace in which the
// kernel resolves the template's references to other links, such as a
// macvlan's ParentIndex or a vlan's parent. A nil LinkNamespace means the
// namespace of the calling thread.
//
// The kernel always resolves such references in the namespace of the netlink
// socket that sends the request, not in the destination namespace
// (LinkAttrs.Namespace); [NewTransient] honours LinkNamespace by sending the
// request from a socket bound to it.
type Link struct {
	netlink.Link
	// LinkNamespace is nil or a netlink.NsFd.
	LinkNamespace any
	// Addrs are added to the link once it exists (see [WithAddress]).
	Addrs []netlink.Addr
	// PeerAddrs are added to the second link of a pair, such as a veth peer.
	PeerAddrs []netlink.Addr
	// Up and PeerUp bring the link, or its peer, up once it exists and
	// has its addresses (see [WithUp]).
	Up, PeerUp bool
	// GoesWithNamespace skips the explicit deletion at cleanup (see
	// [GoesWithNamespace]).
	GoesWithNamespace bool
	// PeerName and PeerNamespace (nil or a netlink.NsFd) name and place
	// the second link of a pair whose template cannot hold them readably,
	// such as a netkit's; a veth keeps them in its own PeerName and
	// PeerNamespace. An empty PeerName gets a random one.
	PeerName      string
	PeerNamespace any
}

// Opt configures a link before it is created. Options are applied in the
// order given, to a deep copy of the template wrapped in a [Link]; an option
// returning an error fails the spec with that error.
type Opt func(*Link) error

// WrapWithLinkNamespace returns l wrapped in a [Link] whose references are
// resolved in the network namespace netnsfd refers to. The fd stays owned by
// the caller and must stay open until the link has been created.
func WrapWithLinkNamespace(l netlink.Link, netnsfd int) netlink.Link {
	return &Link{Link: l, LinkNamespace: netlink.NsFd(netnsfd)}
}

// EnsureWrap returns l itself if it already is a *[Link], and l wrapped in
// one with no link namespace otherwise.
func EnsureWrap(l netlink.Link) netlink.Link {
	if w, ok := l.(*Link); ok {
		return w
	}
	return &Link{Link: l}
}

// Unwrap returns the plain netlink link and the link namespace (nil or a
// netlink.NsFd) of l; for a link that is not a *[Link] the namespace is nil.
func Unwrap(l netlink.Link) (netlink.Link, any) {
	if w, ok := l.(*Link); ok {
		return w.Link, w.LinkNamespace
	}
	return l, nil
}

// InNamespace creates the link in the network namespace netnsfd refers to
// (LinkAttrs.Namespace). The fd stays owned by the caller. For a veth pair,
// this places only the first end: see the veth package.
func InNamespace(netnsfd int) Opt {
	return func(l *Link) error {
		if err := nsops.Check(netnsfd); err != nil {
			return fmt.Errorf("InNamespace(%d): %w", netnsfd, err)
		}
		l.Attrs().Namespace = netlink.NsFd(netnsfd)
		return nil
	}
}

// WithLinkNamespace resolves the link's references to other links (such as a
// macvlan's parent) in the network namespace netnsfd refers to, by sending
// the creation request from a netlink socket bound to that namespace. Unless
// [InNamespace] is given too, the new link also ends up in that namespace.
func WithLinkNamespace(netnsfd int) Opt {
	return func(l *Link) error {
		if err := nsops.Check(netnsfd); err != nil {
			return fmt.Errorf("WithLinkNamespace(%d): %w", netnsfd, err)
		}
		l.LinkNamespace = netlink.NsFd(netnsfd)
		return nil
	}
}

// GoesWithNamespace leaves the link to its namespace's teardown instead of
// deleting it explicitly at cleanup. Deleting a link costs the kernel an RCU
// grace period (tens of milliseconds), while a dying namespace removes all
// its links in one batch. Use it only for a link that lives, together with
// anything joined to it such as a veth peer, in transient namespaces that are
// torn down at the end of the same node; otherwise the link stays behind.
func GoesWithNamespace() Opt {
	return func(l *Link) error {
		l.GoesWithNamespace = true
		return nil
	}
}

// OptFor returns an option that applies fn to links of type T and fails for
// any other type; kind packages build their options with it, for instance
// a macvlan mode option for *netlink.Macvlan.
func OptFor[T netlink.Link](name string, fn func(T) error) Opt {
	return func(l *Link) error {
		typed, ok := l.Link.(T)
		if !ok {
			var want T
			return fmt.Errorf("%s applies to %T links, not to %T", name, want, l.Link)
		}
		if err := fn(typed); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
}
