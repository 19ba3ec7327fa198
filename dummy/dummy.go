package dummy

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/link"
)

// DummyPrefix starts the names of transient dummy links.
const DummyPrefix = "dumy-"

// Opt configures a dummy link before it is created; see the link package.
type Opt = link.Opt

// NewTransient creates a transient dummy link, down, and returns it with its
// Index. It is deleted when the current node's cleanup runs.
func NewTransient(opts ...Opt) netlink.Link {
	GinkgoHelper()
	return NewTransientT(GinkgoTB(), opts...)
}

// NewTransientT is [NewTransient] for plain testing users.
func NewTransientT(t testing.TB, opts ...Opt) netlink.Link {
	t.Helper()
	return link.NewTransientT(t, &netlink.Dummy{}, DummyPrefix, opts...)
}

// NewTransientUp is [NewTransient] followed by [link.EnsureUp].
func NewTransientUp(opts ...Opt) netlink.Link {
	GinkgoHelper()
	return NewTransientUpT(GinkgoTB(), opts...)
}

// NewTransientUpT is [NewTransientUp] for plain testing users.
func NewTransientUpT(t testing.TB, opts ...Opt) netlink.Link {
	t.Helper()
	l := NewTransientT(t, opts...)
	link.EnsureUpT(t, l)
	return l
}
