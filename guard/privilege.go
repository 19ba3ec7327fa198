package guard

import (
	"fmt"
	"os"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"golang.org/x/sys/unix"
)

// SkipUnlessPrivileged skips the current spec unless the process may create
// and configure network namespaces, that is, holds CAP_SYS_ADMIN and
// CAP_NET_ADMIN in its user namespace: as root, or as root of the user
// namespace that sandbox.Main runs the tests in. The skip message says how to
// get the privilege, and names the sysctl that keeps user namespaces from
// unprivileged users where one does (such as Ubuntu's
// kernel.apparmor_restrict_unprivileged_userns). Use it as
//
//	BeforeEach(guard.SkipUnlessPrivileged)
func SkipUnlessPrivileged() {
	GinkgoHelper()
	SkipUnlessPrivilegedT(GinkgoTB())
}

// SkipUnlessPrivilegedT is [SkipUnlessPrivileged] for plain testing users.
func SkipUnlessPrivilegedT(t testing.TB) {
	t.Helper()
	if missing := missingCaps(); missing != "" {
		t.Skipf("%s", privilegeMessage(missing))
	}
}

// needed are the capabilities network namespace work takes: CAP_SYS_ADMIN
// to create and enter namespaces, CAP_NET_ADMIN to configure them.
var needed = []struct {
	bit  uint
	name string
}{{unix.CAP_SYS_ADMIN, "CAP_SYS_ADMIN"}, {unix.CAP_NET_ADMIN, "CAP_NET_ADMIN"}}

// missingCaps names the needed capabilities the calling thread lacks in its
// user namespace, comma-separated, or returns "" when it has them all.
func missingCaps() string {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Sprintf("capabilities unknown (capget: %v)", err)
	}
	var missing []string
	for _, c := range needed {
		if data[c.bit/32].Effective&(1<<(c.bit%32)) == 0 {
			missing = append(missing, c.name)
		}
	}
	return strings.Join(missing, ", ")
}

// blockers are sysctls that, set to the given value, keep unprivileged users
// from creating user namespaces, and so keep sandbox.Main from running tests
// rootless.
var blockers = []struct {
	path, name, value, why, fix string
}{
	{"/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "kernel.apparmor_restrict_unprivileged_userns", "1",
		"Ubuntu's AppArmor restricts unprivileged user namespaces", "0"},
	{"/proc/sys/kernel/unprivileged_userns_clone", "kernel.unprivileged_userns_clone", "0",
		"unprivileged user namespaces are turned off", "1"},
	{"/proc/sys/user/max_user_namespaces", "user.max_user_namespaces", "0",
		"user namespaces are turned off", "15000"},
}

// privilegeMessage says what is missing and how to get it.
func privilegeMessage(missing string) string {
	msg := "needs root, or sandbox.Main in TestMain with unprivileged user namespaces enabled (missing " + missing + ")"
	for _, b := range blockers {
		v, err := os.ReadFile(b.path)
		if err != nil || strings.TrimSpace(string(v)) != b.value {
			continue
		}
		msg += fmt.Sprintf("; %s here (%s = %s): run as root, or allow them with sysctl -w %s=%s",
			b.why, b.name, b.value, b.name, b.fix)
	}
	return msg
}
