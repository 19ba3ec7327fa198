package link

import (
	"fmt"
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"github.com/vishvananda/netlink"
)

// SkipUnlessCreatable skips the current spec, saying that the kernel does not
// support feature, unless the kernel can create a link from tmpl. It is
// [SkipUnlessSupported] for what a kernel may lack although it has the link
// kind itself, such as a bridge's VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING):
//
//	yes := true
//	link.SkipUnlessCreatable("bridge-vlan-filtering", &netlink.Bridge{VlanFiltering: &yes})
//
// The kernel reports a missing option the way it reports a missing kind, with
// EOPNOTSUPP, only after it has begun to create the link; so the probe really
// creates a copy of tmpl in a throw-away namespace, and remembers a
// conclusive answer per feature name for the life of the process (an
// inconclusive one fails the spec and is probed again next time). tmpl must
// stand alone: it cannot refer to other links there.
//
// Like a kind, a feature named in the environment variable [RequireKindsEnv]
// (or "all" there) makes a missing feature fail the spec instead.
func SkipUnlessCreatable(feature string, tmpl netlink.Link) {
	GinkgoHelper()
	SkipUnlessCreatableT(GinkgoTB(), feature, tmpl)
}

// SkipUnlessCreatableT is [SkipUnlessCreatable] for plain testing users.
func SkipUnlessCreatableT(t testing.TB, feature string, tmpl netlink.Link) {
	t.Helper()
	supported, err := featureProbes.Get(feature, func() (bool, error) { return probeCreatable(tmpl) })
	if err != nil {
		t.Fatalf("cannot probe kernel support for %s, reason: %v", feature, err)
	}
	if supported {
		return
	}
	missing := fmt.Errorf("kernel does not support %s (creating a %q link with it fails with EOPNOTSUPP)", feature, tmpl.Type())
	if required(feature) {
		t.Fatalf("cannot run spec needing %s, reason: %v, and %s=%q requires it",
			feature, missing, RequireKindsEnv, os.Getenv(RequireKindsEnv))
	}
	t.Skipf("%v", missing)
}
