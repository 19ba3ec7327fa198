package link

import (
	"fmt"
	"reflect"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// NewStacked is [NewTransient] for a link stacked on a parent (lower) link,
// such as a macvlan, macvtap, ipvlan or vlan on its parent, or a vxlan on its
// underlay: it sets the template copy's LinkAttrs.ParentIndex (a vxlan's
// VtepDevIndex) to parent's Index, after all options have been applied.
//
// The kernel looks the parent index up in the namespace of the socket that
// sends the request, which is the link namespace ([WithLinkNamespace]) or the
// calling thread's. When parent's LinkAttrs.Namespace names a namespace (as
// it does for links returned by this module's helpers), NewStacked refuses a
// parent living elsewhere, instead of silently stacking on whatever link has
// that index in the namespace asked. A parent with a nil LinkAttrs.Namespace
// is taken to be where it will be looked up.
func NewStacked(tmpl netlink.Link, prefix string, parent netlink.Link, opts ...Opt) netlink.Link {
	GinkgoHelper()
	return NewStackedT(GinkgoTB(), tmpl, prefix, parent, opts...)
}

// NewStackedT is [NewStacked] for plain testing users.
func NewStackedT(t testing.TB, tmpl netlink.Link, prefix string, parent netlink.Link, opts ...Opt) netlink.Link {
	t.Helper()
	if parent == nil || reflect.ValueOf(parent).IsNil() {
		t.Fatalf("cannot create transient link with prefix %q, reason: parent link is nil", prefix)
	}
	// Last, so that the check sees the final link namespace.
	opts = append(opts[:len(opts):len(opts)], onParent(parent))
	return NewTransientT(t, tmpl, prefix, opts...)
}

func onParent(parent netlink.Link) Opt {
	return func(l *Link) error {
		parent, _ := Unwrap(parent)
		name, index := parent.Attrs().Name, parent.Attrs().Index
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

// parentReachable fails when parent says it lives in another namespace than
// the one its index will be looked up in.
func parentReachable(parent netlink.Link, linkNs any) error {
	if parent.Attrs().Namespace == nil {
		return nil
	}
	parentIno, err := nsops.LinkNsIno(parent)
	if err != nil {
		return fmt.Errorf("parent %q: %w", parent.Attrs().Name, err)
	}
	sockIno, err := nsops.RefIno("LinkNamespace", linkNs)
	if err != nil {
		return err
	}
	if sockIno != parentIno {
		return fmt.Errorf("parent %q lives in network namespace net:[%d], but would be looked up in net:[%d]; use WithLinkNamespace",
			parent.Attrs().Name, parentIno, sockIno)
	}
	return nil
}
