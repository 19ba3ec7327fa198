package link

import (
	"fmt"
	"sync"

	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// Link wraps a link template together with the namespace in which the
// kernel resolves the template's references to other links, such as a
// macvlan's ParentIndex or a vlan's parent. A nil LinkNamespace means the
// namespace of the calling thread. Wrapping an existing link instead names
// the namespace it lives in, for the helpers that act on it (see
// [WrapWithLinkNamespace]).
//
// The kernel always resolves such references in the namespace of the netlink
// socket that sends the request, not in the destination namespace
// (LinkAttrs.Namespace); [NewTransient] honours LinkNamespace by sending the
// request from a socket bound to it.
type Link struct {
	netlink.Link
	// LinkNamespace is nil or a netlink.NsFd.
	LinkNamespace any
}

// Opt configures a link before it is created. Options are applied in the
// order given, to a deep copy of the template wrapped in a [Link]; an option
// returning an error fails the spec with that error.
//
// Opt has the signature of notwork's options, so options written for it
// compile here. What happens once the link exists (addresses, up state,
// cleanup) is not part of the [Link]: options such as [WithAddress] record
// it with the creation call, so they work only when passed to one.
type Opt func(*Link) error

// settings are what a creation call does besides sending the link's
// template. They are kept apart from the [Link] that options configure, so
// that Link stays the two fields notwork users write as an unkeyed literal.
type settings struct {
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
	// DeleteExplicitly deletes the link at cleanup even where its
	// namespaces' teardown would (see [DeleteExplicitly]).
	DeleteExplicitly bool
	// PeerName and PeerNamespace (nil or a netlink.NsFd) name and place
	// the second link of a pair whose template cannot hold them readably,
	// such as a netkit's; a veth keeps them in its own PeerName and
	// PeerNamespace. An empty PeerName gets a random one.
	PeerName      string
	PeerNamespace any
}

// configuring maps the *Link that a creation call applies options to, to
// that call's settings; an entry exists only while the options run.
var configuring sync.Map

// settingsOf returns the settings of the creation call configuring l, for
// options that record more than the template; name is the option's.
func settingsOf(name string, l *Link) (*settings, error) {
	if s, ok := configuring.Load(l); ok {
		return s.(*settings), nil
	}
	return nil, fmt.Errorf("%s: works only as an option passed to a link creation such as NewTransient", name)
}

// WrapWithLinkNamespace returns l wrapped in a [Link] whose references are
// resolved in the network namespace netnsfd refers to. The fd stays owned by
// the caller and must stay open until the link has been created.
//
// For an existing link, such as one looked up through a handle bound to
// another namespace (whose LinkAttrs.Namespace is nil), the wrapper names
// the namespace the link lives in: the helpers acting on existing links
// ([AddAddress], [EnsureUp], [Enslave], [Locate], ...) find it there, and
// fail if its LinkAttrs.Namespace names another one. The fd must then stay
// open until the helper has returned.
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

// WithPeerNamespace creates the second link of a pair, the peer of a veth
// or netkit, in the network namespace netnsfd refers to; without it the
// peer lands in the namespace of the socket that sends the request (see
// [WithLinkNamespace]), not in the first end's. The fd stays owned by the
// caller.
func WithPeerNamespace(netnsfd int) Opt {
	return func(l *Link) error {
		if err := nsops.Check(netnsfd); err != nil {
			return fmt.Errorf("WithPeerNamespace(%d): %w", netnsfd, err)
		}
		switch tmpl := l.Link.(type) {
		case *netlink.Veth:
			tmpl.PeerNamespace = netlink.NsFd(netnsfd)
		case *netlink.Netkit:
			s, err := settingsOf(fmt.Sprintf("WithPeerNamespace(%d)", netnsfd), l)
			if err != nil {
				return err
			}
			s.PeerNamespace = netlink.NsFd(netnsfd)
		default:
			return fmt.Errorf("WithPeerNamespace applies to veth and netkit links, not to %T", l.Link)
		}
		return nil
	}
}

// GoesWithNamespace leaves the link to its namespace's teardown instead of
// deleting it explicitly at cleanup. Deleting a link costs the kernel an RCU
// grace period (tens of milliseconds), while a dying namespace removes all
// its links in one batch.
//
// Without it, the cleanup already leaves the link to the teardown whenever
// that is provably safe: when every end of the link (both ends of a veth,
// and a stacked link's parent) lives in transient namespaces made by
// netns.NewTransient for the same test (plain testing) or the same spec
// (Ginkgo's BeforeEach, JustBeforeEach and It), which the library closes
// right after; such a link then registers no cleanup of its own, and costs
// what it costs with GoesWithNamespace. (Should something of another scope
// take a hold on one of those namespaces later, such as a process started
// from a DeferCleanup, the link is deleted just before the first of them is
// closed.) GoesWithNamespace skips the deletion also where the library
// cannot tell, such as for a namespace the caller made and closes itself;
// then the link stays behind unless that namespace dies too.
func GoesWithNamespace() Opt {
	return func(l *Link) error {
		s, err := settingsOf("GoesWithNamespace()", l)
		if err != nil {
			return err
		}
		s.GoesWithNamespace = true
		return nil
	}
}

// DeleteExplicitly has the cleanup delete the link with its own request
// even where its namespaces' teardown would remove it (see
// [GoesWithNamespace]): the deletion is then done, and its RTM_DELLINK sent,
// when the link's cleanup returns, for a test that watches for it. It costs
// an RCU grace period per link.
func DeleteExplicitly() Opt {
	return func(l *Link) error {
		s, err := settingsOf("DeleteExplicitly()", l)
		if err != nil {
			return err
		}
		s.DeleteExplicitly = true
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
			return fmt.Errorf("%s: applies to %T links, not to %T", name, want, l.Link)
		}
		if err := fn(typed); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
}
