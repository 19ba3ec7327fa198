package link

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"golang.org/x/sys/unix"
)

// SkipUnlessKernel skips the current spec unless the running kernel is at
// least version major.minor, saying that feature needs that version and
// which version this kernel is: netkit needs Linux 6.7, the linking of
// netdevsim ports 6.9. Unlike [SkipUnlessSupported], it skips even when the
// environment variable [RequireKindsEnv] requires every kind: no kernel of
// an older version can have feature, so a run over several kernels expects
// the skip on those. Call it before SkipUnlessSupported, so that a newer
// kernel that lacks feature still fails a run that requires it.
func SkipUnlessKernel(feature string, major, minor int) {
	GinkgoHelper()
	SkipUnlessKernelT(GinkgoTB(), feature, major, minor)
}

// SkipUnlessKernelT is [SkipUnlessKernel] for plain testing users.
func SkipUnlessKernelT(t testing.TB, feature string, major, minor int) {
	t.Helper()
	release, ok, err := KernelAtLeast(major, minor)
	if err != nil {
		t.Fatalf("cannot tell whether the kernel has %s, reason: %v", feature, err)
	}
	if !ok {
		t.Skipf("kernel %s is too old for %s, which needs Linux %d.%d or later", release, feature, major, minor)
	}
}

// KernelAtLeast tells whether the running kernel's version is at least
// major.minor, and returns the kernel's release string (uname -r).
func KernelAtLeast(major, minor int) (release string, ok bool, err error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", false, err
	}
	release = unix.ByteSliceToString(u.Release[:])
	ma, mi, err := parseRelease(release)
	if err != nil {
		return release, false, err
	}
	return release, ma > major || (ma == major && mi >= minor), nil
}

// parseRelease reads the major and minor version off a kernel release such
// as "6.1.0-50-amd64" or "7.2.13+deb14-amd64".
func parseRelease(release string) (major, minor int, err error) {
	parts := strings.SplitN(release, ".", 3)
	if len(parts) < 2 {
		return 0, 0, fmt.Errorf("kernel release %q has no major.minor version", release)
	}
	end := strings.IndexFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' })
	if end >= 0 {
		parts[1] = parts[1][:end]
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("kernel release %q has no major.minor version", release)
	}
	return major, minor, nil
}
