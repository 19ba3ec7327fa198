package vrf

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/link"
)

// VrfPrefix starts the names of transient VRF devices.
const VrfPrefix = "vrf-"

// Opt configures a VRF device before it is created; see the link package.
type Opt = link.Opt

// NewTransient creates a transient VRF device, down, that routes through the
// routing table with id table, and returns it with its Index. It is deleted
// when the current node's cleanup runs.
func NewTransient(table uint32, opts ...Opt) netlink.Link {
	GinkgoHelper()
	return NewTransientT(GinkgoTB(), table, opts...)
}

// NewTransientT is [NewTransient] for plain testing users.
func NewTransientT(t testing.TB, table uint32, opts ...Opt) netlink.Link {
	t.Helper()
	if table == unix.RT_TABLE_UNSPEC {
		t.Fatalf("cannot create transient VRF with table id %d, reason: table id 0 means no table", table)
	}
	return link.NewTransientT(t, &netlink.Vrf{Table: table}, VrfPrefix, opts...)
}

// AddMember enslaves member to the VRF device, both found where they live as
// [link.Locate] resolves it (their link.Link wrapper's LinkNamespace, their
// LinkAttrs.Namespace, or else the calling thread's namespace). When the current
// node's cleanup runs, member is released again if both still exist and
// member still belongs to the VRF; see [link.Enslave].
func AddMember(vrf, member netlink.Link) {
	GinkgoHelper()
	AddMemberT(GinkgoTB(), vrf, member)
}

// AddMemberT is [AddMember] for plain testing users.
func AddMemberT(t testing.TB, vrf, member netlink.Link) {
	t.Helper()
	link.EnslaveT(t, vrf, member)
}
