package nsops_test

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/nsops"
)

// childEnv marks a run of this test binary as the child of
// TestLibraryCodePanickedInsideCleanups, which runs the TestChild tests.
const childEnv = "SCRATCHNET_NSOPS_CLEANUP_CHILD"

// TestLibraryCodePanickedInsideCleanups proves, under plain go test, that a
// cleanup whose thread cannot switch back out of a namespace fails its own
// test with a message, and that the test binary goes on: the tests after it
// still run and report. A panic in a cleanup ends the whole binary, which
// is what library code did before.
func TestLibraryCodePanickedInsideCleanups(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("runs only in the parent test binary")
	}
	guard.SkipUnlessPrivilegedT(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestChild", "-test.v", "-test.count=1")
	for _, e := range os.Environ() {
		// The child runs in this sandbox as it is, without one of its own.
		if !strings.HasPrefix(e, "SCRATCHNET_SANDBOX") {
			cmd.Env = append(cmd.Env, e)
		}
	}
	cmd.Env = append(cmd.Env, childEnv+"=1", "SCRATCHNET_SANDBOX=off")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("the child test binary should fail with status 1, got %v; output:\n%s", err, out)
	}
	for _, want := range []string{
		"--- PASS: TestChildBefore",
		"--- FAIL: TestChildCleanupCannotSwitchBack",
		"cannot delete link in transient network namespace, reason: " + nsops.ErrRestore.Error(),
		"--- PASS: TestChildAfter",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the child's output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "panic:") {
		t.Errorf("the child panicked:\n%s", out)
	}
}

func skipUnlessChild(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("runs only as the child of TestLibraryCodePanickedInsideCleanups")
	}
}

func TestChildBefore(t *testing.T) {
	skipUnlessChild(t)
}

// TestChildCleanupCannotSwitchBack has a cleanup do what every cleanup of
// the library does, work on a thread switched into a namespace, with the
// switch back refused.
func TestChildCleanupCannotSwitchBack(t *testing.T) {
	skipUnlessChild(t)
	fd, err := nsops.Unshare()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		defer unix.Close(fd)
		refuse := func(int) error { return errors.New("setns refused on purpose") }
		if err := nsops.RunRestoringWith(fd, func() {}, refuse); err != nil {
			t.Errorf("cannot delete link in transient network namespace, reason: %v", err)
		}
	})
}

func TestChildAfter(t *testing.T) {
	skipUnlessChild(t)
}
