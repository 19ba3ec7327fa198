package ensure

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/link"
)

// Kind is the name netdevsim goes by in link.RequireKindsEnv and in skip
// messages.
const Kind = "netdevsim"

// loadWithin bounds the wait for the bus to appear once modprobe returned.
const loadWithin = 5 * time.Second

// errPrivilege marks a reason that is about this process's privileges, not
// about the kernel.
var errPrivilege = errors.New("needs root")

var load struct {
	once sync.Once
	err  error
}

// Netdevsim tells whether this process can create netdevsim devices: the
// bus exists under /sys/bus/netdevsim, after loading the netdevsim module
// (once per process, with modprobe) if it did not and the process runs as
// root, and this process may write to it.
func Netdevsim() bool { return NetdevsimRoot("/") }

// NetdevsimRoot is [Netdevsim] with the sysfs bus looked for under
// sysfsroot/sys/bus/netdevsim instead; only a sysfsroot of "/" loads the
// module.
func NetdevsimRoot(sysfsroot string) bool { return Check(sysfsroot) == nil }

// Check returns why this process cannot create netdevsim devices under
// sysfsroot (see [NetdevsimRoot]), or nil when it can.
func Check(sysfsroot string) error {
	bus := filepath.Join(sysfsroot, "sys", "bus", "netdevsim")
	newDevice := filepath.Join(bus, "new_device")
	if _, err := os.Stat(newDevice); err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("kernel does not support netdevsim (%v)", err)
		}
		if filepath.Clean(sysfsroot) != "/" {
			return fmt.Errorf("kernel does not support netdevsim (no %s)", bus)
		}
		if os.Geteuid() != 0 || nsops.InUserNamespace() {
			return fmt.Errorf("%w: netdevsim is not loaded, and only root of the initial user namespace may load it and write to %s", errPrivilege, bus)
		}
		load.once.Do(func() { load.err = modprobe(newDevice) })
		if load.err != nil {
			return fmt.Errorf("kernel does not support netdevsim (no %s, and %v)", bus, load.err)
		}
	}
	if err := unix.Access(newDevice, unix.W_OK); err != nil {
		return fmt.Errorf("%w: netdevsim devices are made by writing to %s, which this process may not write (%v; in a user namespace of its own even root may not)", errPrivilege, newDevice, err)
	}
	return nil
}

// modprobe loads the netdevsim module and waits for its bus to appear.
func modprobe(newDevice string) error {
	tool, err := exec.LookPath("modprobe")
	if err != nil {
		for _, p := range []string{"/sbin/modprobe", "/usr/sbin/modprobe"} {
			if _, serr := os.Stat(p); serr == nil {
				tool, err = p, nil
				break
			}
		}
	}
	if err != nil {
		return errors.New("no modprobe to load the netdevsim module with")
	}
	if out, err := exec.Command(tool, "netdevsim").CombinedOutput(); err != nil {
		return fmt.Errorf("modprobe netdevsim failed: %v: %s", err, strings.TrimSpace(string(out)))
	}
	for deadline := time.Now().Add(loadWithin); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(newDevice); err == nil {
			return nil
		}
	}
	return fmt.Errorf("modprobe netdevsim succeeded but %s did not appear within %s", newDevice, loadWithin)
}

// SkipUnlessNetdevsim skips the current spec unless this process can create
// netdevsim devices (see [Netdevsim]), saying why: "needs root ..." or
// "kernel does not support netdevsim ...". When link.RequireKindsEnv
// requires netdevsim, missing kernel support fails the spec instead.
func SkipUnlessNetdevsim() {
	GinkgoHelper()
	SkipUnlessNetdevsimT(GinkgoTB())
}

// SkipUnlessNetdevsimT is [SkipUnlessNetdevsim] for plain testing users.
func SkipUnlessNetdevsimT(t testing.TB) {
	t.Helper()
	err := Check("/")
	switch {
	case err == nil:
		return
	case errors.Is(err, errPrivilege):
		t.Skipf("%v", err)
	}
	link.SkipUnsupportedT(t, Kind, "netdevsim", err)
}
