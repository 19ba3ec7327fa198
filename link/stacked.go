package link

import (
	"fmt"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// NewStacked is [NewTransient] for a link stacked on a parent (lower) link,
// such as a macvlan, macvtap, ipvlan or vlan on its parent, or a vxlan on its
// underlay: it sets the template copy's LinkAttrs.ParentIndex (a vxlan's
// VtepDevIndex) to parent's Index, after all options have been applied.
//
// The kernel looks the parent index up in the namespace of the socket that
// sends the request, which is the link namespace ([WithLinkNamespace]) or the
// calling thread's. NewStacked finds the parent where it lives (its [Link]
// wrapper's LinkNamespace, else its LinkAttrs.Namespace, else the namespace
// the kernel will look it up in), checks that its index belongs to a link
// of its name there, and refuses a parent living elsewhere than where the
// kernel will look, instead of silently stacking on whatever link has that
// index in the namespace asked.
func NewStacked(tmpl netlink.Link, prefix string, parent netlink.Link, opts ...Opt) netlink.Link {
	GinkgoHelper()
	return NewStackedT(GinkgoTB(), tmpl, prefix, parent, opts...)
}

// NewStackedT is [NewStacked] for plain testing users.
func NewStackedT(t testing.TB, tmpl netlink.Link, prefix string, parent netlink.Link, opts ...Opt) netlink.Link {
	t.Helper()
	if isNil(parent) {
		t.Fatalf("cannot create transient link with prefix %q, reason: parent link is nil", prefix)
	}
	// Last, so that the check sees the final link namespace.
	opts = append(opts[:len(opts):len(opts)], onParent(parent))
	return NewTransientT(t, tmpl, prefix, opts...)
}

func onParent(parent netlink.Link) Opt {
	return func(l *Link) error {
		name, index := nameOf(parent), parent.Attrs().Index
		if index <= 0 {
			return fmt.Errorf("parent %q has no index; pass a link as returned by a NewTransient or looked up through netlink", name)
		}
		if err := parentReachable(parent, l.LinkNamespace); err != nil {
			return err
		}
		if vx, ok := l.Link.(*netlink.Vxlan); ok {
			vx.VtepDevIndex = index
			return nil
		}
		l.Attrs().ParentIndex = index
		return nil
	}
}

// parentReachable fails unless parent lives in the namespace its index will
// be looked up in: the link namespace linkNs, or the calling thread's. It
// finds parent where its wrapper or else its LinkAttrs.Namespace says, as
// [Locate] does; a parent that names no namespace is looked for in the
// namespace of the lookup, as it always was: a caller who says where the
// request goes (WithLinkNamespace) and passes a parent looked up there
// through a bound handle meant that parent.
func parentReachable(parent netlink.Link, linkNs any) error {
	plain, wrapped := Unwrap(parent)
	name, index := plain.Attrs().Name, plain.Attrs().Index
	lookupNs := wrapped
	unnamed := wrapped == nil && plain.Attrs().Namespace == nil
	if unnamed {
		lookupNs = linkNs
	}
	nsfd, assumed, err := nsops.ExistingLinkNs(plain, lookupNs)
	if err != nil {
		return fmt.Errorf("parent %q (index %d): %w", name, index, err)
	}
	defer unix.Close(nsfd)
	if unnamed && linkNs != nil {
		assumed = "the link namespace (WithLinkNamespace),"
	}
	h, err := nsops.RouteHandleAt(nsfd)
	if err != nil {
		return err
	}
	defer h.Close()
	if _, err := nsops.FindLink(h, nsfd, plain, assumed); err != nil {
		return fmt.Errorf("parent %q (index %d): %w", name, index, err)
	}
	parentIno, err := nsops.Ino(nsfd)
	if err != nil {
		return err
	}
	sockIno, err := nsops.RefIno("LinkNamespace", linkNs)
	if err != nil {
		return err
	}
	if sockIno != parentIno {
		return fmt.Errorf("parent %q lives in %s, but would be looked up in %s; use WithLinkNamespace",
			name, nsops.DescribeIno(parentIno), nsops.DescribeIno(sockIno))
	}
	return nil
}
