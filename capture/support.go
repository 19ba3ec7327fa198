package capture

import (
	"errors"
	"sync"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"golang.org/x/sys/unix"
)

// SkipUnlessSupported skips the current spec when the kernel has no
// AF_PACKET sockets (CONFIG_PACKET, module af_packet), which captures need.
// Without the privilege to open one it skips with "needs root".
func SkipUnlessSupported() {
	GinkgoHelper()
	SkipUnlessSupportedT(GinkgoTB())
}

// SkipUnlessSupportedT is [SkipUnlessSupported] for plain testing users.
func SkipUnlessSupportedT(t testing.TB) {
	t.Helper()
	switch err := probe(); {
	case err == nil:
	case errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES):
		t.Skipf("needs root, reason: cannot open an AF_PACKET socket: %v", err)
	case errors.Is(err, unix.EAFNOSUPPORT):
		t.Skipf("kernel does not support AF_PACKET sockets (CONFIG_PACKET, module af_packet): %v", err)
	default:
		t.Fatalf("cannot probe kernel support for AF_PACKET sockets, reason: %v", err)
	}
}

// probe opens a packet socket once per process: closing one waits for an
// RCU grace period, which a probe before every spec would add up.
var probe = sync.OnceValue(func() error {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err == nil {
		unix.Close(fd)
	}
	return err
})
