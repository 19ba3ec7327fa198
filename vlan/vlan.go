package vlan

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/link"
)

// VlanPrefix starts the names of transient VLAN links.
const VlanPrefix = "vlan-"

// maxVID is the highest VLAN id a link can have; 4095 is reserved.
const maxVID = 4094

// Opt configures a VLAN link before it is created; see the link package.
type Opt = link.Opt

// With8021AD makes the link an 802.1ad ("QinQ", service VLAN) link, tagging
// with ethertype 0x88a8 instead of 802.1Q's 0x8100.
func With8021AD() Opt {
	return link.OptFor("With8021AD()", func(v *netlink.Vlan) error {
		v.VlanProtocol = netlink.VLAN_PROTOCOL_8021AD
		return nil
	})
}

// NewTransient creates a transient 802.1Q VLAN link with VLAN id vid on
// parent, and returns it with its Index in the namespace where it ended up.
// It is deleted when the current node's cleanup runs.
//
// parent must live in the namespace named by [WithLinkNamespace], or in the
// calling thread's namespace when that option is not given.
func NewTransient(vid uint16, parent netlink.Link, opts ...Opt) netlink.Link {
	GinkgoHelper()
	return NewTransientT(GinkgoTB(), vid, parent, opts...)
}

// NewTransientT is [NewTransient] for plain testing users.
func NewTransientT(t testing.TB, vid uint16, parent netlink.Link, opts ...Opt) netlink.Link {
	t.Helper()
	if vid > maxVID {
		t.Fatalf("cannot create transient VLAN link with VLAN id %d, reason: VLAN ids range from 0 to %d", vid, maxVID)
	}
	tmpl := &netlink.Vlan{VlanId: int(vid), VlanProtocol: netlink.VLAN_PROTOCOL_8021Q}
	return link.NewStackedT(t, tmpl, VlanPrefix, parent, opts...)
}
