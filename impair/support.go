package impair

import (
	"errors"
	"fmt"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/link"
)

// SkipUnlessSupported skips the current spec, saying that the kernel does not
// support qdisc kind (such as "netem" or "tbf"), unless the kernel can add a
// queueing discipline of that kind. It probes in a throw-away network
// namespace and remembers only conclusive answers, once per kind and
// process. If kind is listed in the environment variable named by
// [link.RequireKindsEnv] (or it holds "all"), a missing kind fails the spec
// instead, as for link kinds.
func SkipUnlessSupported(kind string) {
	GinkgoHelper()
	SkipUnlessSupportedT(GinkgoTB(), kind)
}

// SkipUnlessSupportedT is [SkipUnlessSupported] for plain testing users.
func SkipUnlessSupportedT(t testing.TB, kind string) {
	t.Helper()
	supported, err := probe(kind)
	if err != nil {
		t.Fatalf("cannot probe kernel support for qdisc %q, reason: %v", kind, err)
	}
	if supported {
		return
	}
	link.SkipUnsupportedT(t, kind, fmt.Sprintf("qdisc %q", kind), unsupported(kind))
}

var probes link.ProbeCache // by qdisc kind

func probe(kind string) (bool, error) {
	return probes.Get(kind, func() (bool, error) {
		return link.InThrowawayNamespace(func(h *netlink.Handle, _ int) (bool, error) { return probeOnce(h, kind) })
	})
}

// probeOnce adds a root qdisc of the kind to lo of the throw-away namespace
// that h is bound to: the kernel answers ENOENT for a kind it does not know
// (after failing to load its module), and accepts or refuses the options of
// one it knows.
func probeOnce(h *netlink.Handle, kind string) (bool, error) {
	attrs := netlink.QdiscAttrs{LinkIndex: 1, Parent: netlink.HANDLE_ROOT, Handle: rootHandle}
	var q netlink.Qdisc
	switch kind {
	case "netem":
		q = netlink.NewNetem(attrs, netlink.NetemQdiscAttrs{Latency: 1000})
	case "tbf":
		q = (&config{rate: 1e6}).qdiscs(1)[0]
	default:
		q = &netlink.GenericQdisc{QdiscAttrs: attrs, QdiscType: kind}
	}
	err := h.QdiscAdd(q)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, unix.ENOENT):
		return false, nil
	case errors.Is(err, unix.EPERM):
		return false, err
	}
	// Refused options still mean the kernel knows the kind.
	return true, nil
}

func unsupported(kind string) error {
	if nsops.InUserNamespace() {
		return fmt.Errorf("kernel does not support qdisc %q in this user namespace (if it is module sch_%s, load it on the host first)", kind, kind)
	}
	return fmt.Errorf("kernel does not support qdisc %q", kind)
}

// explain turns the kernel's answer to adding a qdisc of kind into a
// message; ENOENT means the kernel does not know the kind.
func explain(kind string, err error) error {
	if errors.Is(err, unix.ENOENT) {
		return unsupported(kind)
	}
	return err
}
