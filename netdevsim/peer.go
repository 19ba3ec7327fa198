package netdevsim

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/link"
)

// Link joins two netdevsim ports back to back, like a cable between two
// NICs: what one sends, the other receives, and both get carrier. Each port
// is found where it lives as link.Locate resolves it: its link.Link
// wrapper's LinkNamespace, its LinkAttrs.Namespace, or else the calling
// thread's namespace, by an Index that must belong to a port of its name
// there, or else by its name; the ports [NewTransient] returns carry both. Removing either device unlinks them.
// Linking needs Linux 6.9 or later; use link.SkipUnlessKernel("netdevsim
// port linking", 6, 9) in specs that link.
func Link(dupond, dupont netlink.Link) {
	GinkgoHelper()
	LinkT(GinkgoTB(), dupond, dupont)
}

// LinkT is [Link] for plain testing users.
func LinkT(t testing.TB, dupond, dupont netlink.Link) {
	t.Helper()
	if dupond == nil || dupont == nil {
		t.Fatalf("cannot link netdevsim ports, reason: a port is nil")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	fd1, idx1, err := portRef(dupond)
	if err != nil {
		t.Fatalf("cannot link netdevsim port %q, reason: %v", dupond.Attrs().Name, err)
	}
	defer unix.Close(fd1)
	fd2, idx2, err := portRef(dupont)
	if err != nil {
		t.Fatalf("cannot link netdevsim port %q, reason: %v", dupont.Attrs().Name, err)
	}
	defer unix.Close(fd2)
	// The kernel reads the namespace fds as this process's.
	if err := writeBus("link_device", fmt.Sprintf("%d:%d %d:%d", fd1, idx1, fd2, idx2)); err != nil {
		t.Fatalf("cannot link netdevsim ports %q (index %d in %s) and %q (index %d in %s), reason: %v",
			dupond.Attrs().Name, idx1, nsops.Describe(fd1), dupont.Attrs().Name, idx2, nsops.Describe(fd2), err)
	}
}

// Unlink separates a port from the port it was linked to; both lose
// carrier. It needs Linux 6.9 or later, like [Link].
func Unlink(l netlink.Link) {
	GinkgoHelper()
	UnlinkT(GinkgoTB(), l)
}

// UnlinkT is [Unlink] for plain testing users.
func UnlinkT(t testing.TB, l netlink.Link) {
	t.Helper()
	if l == nil {
		t.Fatalf("cannot unlink netdevsim port, reason: the port is nil")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	fd, idx, err := portRef(l)
	if err != nil {
		t.Fatalf("cannot unlink netdevsim port %q, reason: %v", l.Attrs().Name, err)
	}
	defer unix.Close(fd)
	if err := writeBus("unlink_device", fmt.Sprintf("%d:%d", fd, idx)); err != nil {
		t.Fatalf("cannot unlink netdevsim port %q (index %d in %s), reason: %v", l.Attrs().Name, idx, nsops.Describe(fd), err)
	}
}

// writeBus writes to one of the bus's control files, saying when the
// kernel has none of that name (linking came with Linux 6.9).
func writeBus(file, text string) error {
	p := filepath.Join(busDir, file)
	if _, err := os.Stat(p); err != nil {
		return fmt.Errorf("kernel has no %s (netdevsim port linking needs Linux 6.9 or later): %w", p, err)
	}
	return os.WriteFile(p, []byte(text), 0)
}

// portRef returns a new fd for the port's namespace and its index there,
// found as link.Locate resolves it. The caller holds its thread locked, so
// that the calling thread's namespace stays one.
func portRef(l netlink.Link) (int, int, error) {
	fd, found, err := link.Locate(l)
	if err != nil {
		return -1, 0, err
	}
	return fd, found.Attrs().Index, nil
}
