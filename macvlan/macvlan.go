package macvlan

import (
	"errors"
	"fmt"
	"net"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/link"
)

// MacvlanPrefix starts the names of transient macvlan links.
const MacvlanPrefix = "mcvl-"

// Opt configures a macvlan link before it is created; see the link package.
type Opt = link.Opt

// WithMode sets the macvlan mode; the default is netlink.MACVLAN_MODE_BRIDGE.
func WithMode(mode netlink.MacvlanMode) Opt {
	return link.OptFor(fmt.Sprintf("WithMode(%v)", mode), func(m *netlink.Macvlan) error {
		if mode > netlink.MACVLAN_MODE_SOURCE {
			return fmt.Errorf("unknown macvlan mode %d", mode)
		}
		m.Mode = mode
		return nil
	})
}

// NewTransient creates a transient macvlan on parent, in bridge mode unless
// [WithMode] says otherwise, and returns it with its Index in the namespace
// where it ended up. It is deleted when the current node's cleanup runs.
//
// parent must live in the namespace named by [WithLinkNamespace], or in the
// calling thread's namespace when that option is not given.
func NewTransient(parent netlink.Link, opts ...Opt) netlink.Link {
	GinkgoHelper()
	return NewTransientT(GinkgoTB(), parent, opts...)
}

// NewTransientT is [NewTransient] for plain testing users.
func NewTransientT(t testing.TB, parent netlink.Link, opts ...Opt) netlink.Link {
	t.Helper()
	tmpl := &netlink.Macvlan{Mode: netlink.MACVLAN_MODE_BRIDGE}
	return link.NewStackedT(t, tmpl, MacvlanPrefix, parent, opts...)
}

// LocateHWParent returns an interface of the calling thread's namespace that
// is backed by a device driver (netlink type "device", never lo) and whose
// operational state is UP or UNKNOWN, preferring UP. It fails the spec when
// there is none, as in a fresh network namespace.
func LocateHWParent() netlink.Link {
	GinkgoHelper()
	return LocateHWParentT(GinkgoTB())
}

// LocateHWParentT is [LocateHWParent] for plain testing users.
func LocateHWParentT(t testing.TB) netlink.Link {
	t.Helper()
	l, err := locateHWParent()
	if err != nil {
		t.Fatalf("cannot locate a hardware parent interface, reason: %v", err)
	}
	return l
}

func locateHWParent() (netlink.Link, error) {
	h, err := nsops.HandleHere()
	if err != nil {
		return nil, err
	}
	defer h.Close()
	links, err := nsops.RetryDump(h.LinkList)
	if err != nil {
		return nil, err
	}
	var unknown netlink.Link
	for _, l := range links {
		a := l.Attrs()
		if l.Type() != "device" || a.Flags&net.FlagLoopback != 0 {
			continue
		}
		switch a.OperState {
		case netlink.OperUp:
			return l, nil
		case netlink.OperUnknown:
			if unknown == nil {
				unknown = l
			}
		}
	}
	if unknown != nil {
		return unknown, nil
	}
	return nil, errors.New("no interface of type \"device\" other than lo is up in the current network namespace")
}
