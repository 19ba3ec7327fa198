package macvlan

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"github.com/vishvananda/netlink"
)

// CreateTransient is notwork's older name of [NewTransient] without options:
// a transient bridge-mode macvlan on parent, which must live in the calling
// thread's namespace.
//
// Deprecated: use [NewTransient], which takes options.
func CreateTransient(parent netlink.Link) netlink.Link {
	GinkgoHelper()
	return NewTransientT(GinkgoTB(), parent)
}

// CreateTransientT is [CreateTransient] for plain testing users.
//
// Deprecated: use [NewTransientT], which takes options.
func CreateTransientT(t testing.TB, parent netlink.Link) netlink.Link {
	t.Helper()
	return NewTransientT(t, parent)
}
