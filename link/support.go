package link

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// RequireKindsEnv names the environment variable that turns a skip by
// [SkipUnlessSupported] into a failure: a comma-separated list of link kinds,
// or "all", from which "-kind" entries exclude kinds. A run that must prove it exercised a kind (such as the
// distribution-kernel VM run) sets it.
const RequireKindsEnv = "SCRATCHNET_REQUIRE_KINDS"

// SkipUnlessSupported skips the current spec, saying that the kernel does not
// support link type kind, unless the kernel can create links of that kind.
// For tun and tap devices it also skips, saying "needs root ...", when the
// process may not open /dev/net/tun.
// It probes in a throw-away network namespace, and remembers a conclusive
// answer (the kernel created the link, or refused the kind) for the life of
// the process; an inconclusive one, such as EBUSY or ENOMEM, fails the spec
// and is probed again next time.
// If kind is listed in the environment variable named by [RequireKindsEnv]
// (or it holds "all"), a missing kind fails the spec instead.
func SkipUnlessSupported(kind string) {
	GinkgoHelper()
	SkipUnlessSupportedT(GinkgoTB(), kind)
}

// SkipUnlessSupportedT is [SkipUnlessSupported] for plain testing users.
func SkipUnlessSupportedT(t testing.TB, kind string) {
	t.Helper()
	if err := tunDeviceDenied(kind); err != nil {
		t.Skipf("needs root or access to %s, reason: %v", tunDevice, err)
	}
	supported, err := probe(kind)
	if err != nil {
		t.Fatalf("cannot probe kernel support for link type %q, reason: %v (inconclusive: probed again next time)", kind, err)
	}
	if supported {
		return
	}
	SkipUnsupportedT(t, kind, fmt.Sprintf("link type %q", kind), unsupportedError(kind))
}

// SkipUnsupportedT skips t for reason, the kernel's lack of kind, or fails t
// instead when the environment variable [RequireKindsEnv] requires kind (see
// [Required]); what names the missing thing in that failure, such as
// `qdisc "netem"`. Skip helpers that probe a kernel feature of their own end
// with it, so that a run which must exercise the feature never skips it.
func SkipUnsupportedT(t testing.TB, kind, what string, reason error) {
	t.Helper()
	if required(kind) {
		t.Fatalf("cannot run spec needing %s, reason: %v, and %s=%q requires it",
			what, reason, RequireKindsEnv, os.Getenv(RequireKindsEnv))
	}
	t.Skipf("%v", reason)
}

// Required tells whether the environment variable [RequireKindsEnv]
// requires kind: listed by name, or covered by "all" and not excluded by
// "-kind" ("all,-netdevsim" for a kernel that cannot have netdevsim).
// Helpers for kinds that are not made through rtnetlink, such as netdevsim
// devices, use it to fail instead of skipping.
func Required(kind string) bool { return required(kind) }

func required(kind string) bool {
	list := strings.Split(os.Getenv(RequireKindsEnv), ",")
	if slices.Contains(list, "-"+kind) {
		return false
	}
	return slices.Contains(list, "all") || slices.Contains(list, kind)
}

func unsupportedError(kind string) error {
	if nsops.InUserNamespace() {
		// A module-backed kind is just as missing here when its module is
		// not loaded yet: the kernel will not load it for a user namespace.
		return fmt.Errorf("kernel does not support link type %q in this user namespace (the kernel loads no modules for user namespaces: load the kind's module on the host first)", kind)
	}
	return fmt.Errorf("kernel does not support link type %q", kind)
}
