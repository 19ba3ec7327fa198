package link

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"sync"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"github.com/vishvananda/netlink"
)

var featureProbes sync.Map // feature -> *probeResult

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
// creates a copy of tmpl, once per feature name and process, in a throw-away
// namespace. tmpl must stand alone: it cannot refer to other links there.
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
	v, _ := featureProbes.LoadOrStore(feature, &probeResult{})
	p := v.(*probeResult)
	p.once.Do(func() { p.supported, p.err = probeCreatable(tmpl) })
	if p.err != nil {
		t.Fatalf("cannot probe kernel support for %s, reason: %v", feature, p.err)
	}
	if p.supported {
		return
	}
	missing := fmt.Errorf("kernel does not support %s (creating a %q link with it fails with EOPNOTSUPP)", feature, tmpl.Type())
	if required(feature) {
		t.Fatalf("cannot run spec needing %s, reason: %v, and %s=%q requires it",
			feature, missing, RequireKindsEnv, os.Getenv(RequireKindsEnv))
	}
	t.Skipf("%v", missing)
}

func probeCreatable(tmpl netlink.Link) (bool, error) {
	if tmpl == nil || reflect.ValueOf(tmpl).IsNil() {
		return false, errors.New("link template is nil")
	}
	l := deepCopy(reflect.ValueOf(tmpl)).Interface().(netlink.Link)
	l.Attrs().Name = "probe"
	l.Attrs().Namespace = nil
	return tryCreate(l)
}
