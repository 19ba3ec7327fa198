package guard

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPrivilegeMessageNamesTheBlockingSysctl checks the skip message where
// a sysctl keeps unprivileged users from user namespaces; the machines that
// run this suite rarely have one set, so the sysctl files are stand-ins.
func TestPrivilegeMessageNamesTheBlockingSysctl(t *testing.T) {
	dir := t.TempDir()
	saved := blockers
	t.Cleanup(func() { blockers = saved })
	blockers = append(blockers[:0:0], blockers...)
	for i := range blockers {
		blockers[i].path = filepath.Join(dir, filepath.Base(blockers[i].path))
	}
	write := func(name, v string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	msg := privilegeMessage("CAP_SYS_ADMIN")
	if want := "needs root, or sandbox.Main in TestMain with unprivileged user namespaces enabled (missing CAP_SYS_ADMIN)"; msg != want {
		t.Errorf("message without blocking sysctl:\n got %q\nwant %q", msg, want)
	}

	write("apparmor_restrict_unprivileged_userns", "1")
	msg = privilegeMessage("CAP_SYS_ADMIN")
	for _, want := range []string{
		"needs root",
		"Ubuntu's AppArmor restricts unprivileged user namespaces here (kernel.apparmor_restrict_unprivileged_userns = 1)",
		"sysctl -w kernel.apparmor_restrict_unprivileged_userns=0",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}

	write("apparmor_restrict_unprivileged_userns", "0")
	if msg := privilegeMessage("CAP_SYS_ADMIN"); strings.Contains(msg, "apparmor") {
		t.Errorf("message %q names a sysctl that allows user namespaces", msg)
	}
}
