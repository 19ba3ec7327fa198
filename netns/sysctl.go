package netns

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/internal/scope"
)

// SetSysctl sets the network sysctl key (such as "net.ipv4.ip_forward" or
// "net/ipv6/conf/all/disable_ipv6") to value in the network namespace
// netnsfd refers to, and returns the value it had. Only keys under "net."
// belong to a network namespace; other keys are refused, as are keys the
// kernel does not know and values it refuses.
//
// When the current node's cleanup runs, the old value is written back,
// unless the namespace is a transient one torn down in the same scope. The
// fd stays owned by the caller.
func SetSysctl(netnsfd int, key, value string) (old string) {
	GinkgoHelper()
	return SetSysctlT(GinkgoTB(), netnsfd, key, value)
}

// SetSysctlT is [SetSysctl] for plain testing users; the old value is
// restored through t.Cleanup.
func SetSysctlT(t testing.TB, netnsfd int, key, value string) (old string) {
	t.Helper()
	path, err := sysctlPath(key)
	if err != nil {
		t.Fatalf("cannot set sysctl %q, reason: %v", key, err)
	}
	own, err := nsops.Dup(netnsfd)
	if err != nil {
		t.Fatalf("cannot set sysctl %q in network namespace fd %d, reason: %v", key, netnsfd, err)
	}
	sc := scope.Of(t)
	old, err = readSysctl(own, path)
	if err == nil && !sc.DiesAt(own) {
		// A value may read back as what cannot be written: in a user
		// namespace, ids it does not map read as the overflow id.
		if werr := writeSysctl(own, path, old); werr != nil {
			unix.Close(own)
			t.Fatalf("cannot set sysctl %q to %q in %s, reason: its value %q cannot be written back for the restore at cleanup: %v",
				key, value, nsops.Describe(netnsfd), old, explainSysctl(werr))
		}
	}
	if err == nil {
		err = writeSysctl(own, path, value)
	}
	if err != nil {
		unix.Close(own)
		t.Fatalf("cannot set sysctl %q to %q in %s, reason: %v", key, value, nsops.Describe(netnsfd), explainSysctl(err))
	}
	sc.Cleanup(t, func() {
		defer unix.Close(own)
		if sc.DiesAt(own) {
			return
		}
		if err := writeSysctl(own, path, old); err != nil {
			t.Errorf("cannot restore sysctl %q to %q in %s, reason: %v", key, old, nsops.Describe(own), explainSysctl(err))
		}
	})
	return old
}

// Sysctl returns the value of the network sysctl key in the network
// namespace netnsfd refers to, without a trailing newline.
func Sysctl(netnsfd int, key string) string {
	GinkgoHelper()
	return SysctlT(GinkgoTB(), netnsfd, key)
}

// SysctlT is [Sysctl] for plain testing users.
func SysctlT(t testing.TB, netnsfd int, key string) string {
	t.Helper()
	path, err := sysctlPath(key)
	if err == nil {
		var v string
		if v, err = readSysctl(netnsfd, path); err == nil {
			return v
		}
	}
	t.Fatalf("cannot read sysctl %q in %s, reason: %v", key, nsops.Describe(netnsfd), explainSysctl(err))
	return ""
}

// sysctlPath turns "net.ipv4.ip_forward" or "net/ipv4/ip_forward" into its
// path under /proc/sys. Dots in interface names cannot be told apart from
// separators in the dotted form: use slashes for such keys.
func sysctlPath(key string) (string, error) {
	k := key
	if !strings.Contains(k, "/") {
		k = strings.ReplaceAll(k, ".", "/")
	}
	parts := strings.Split(k, "/")
	if parts[0] != "net" || len(parts) < 2 {
		return "", errors.New(`only keys under "net." belong to a network namespace`)
	}
	for _, p := range parts {
		if p == "" || p == "." || p == ".." {
			return "", errors.New("not a sysctl key such as net.ipv4.ip_forward")
		}
	}
	return "/proc/sys/" + k, nil
}

// /proc/sys/net shows the network namespace of the thread that opens a file
// there, so each file is opened inside the namespace; the read or write may
// then happen anywhere.
func openSysctl(nsfd int, path string, flags int) (int, error) {
	fd := -1
	var openErr error
	if err := nsops.Run(nsfd, func() { fd, openErr = unix.Open(path, flags|unix.O_CLOEXEC, 0) }); err != nil {
		return -1, err
	}
	return fd, openErr
}

func readSysctl(nsfd int, path string) (string, error) {
	fd, err := openSysctl(nsfd, path, unix.O_RDONLY)
	if err != nil {
		return "", err
	}
	defer unix.Close(fd)
	buf := make([]byte, 4096)
	n, err := unix.Read(fd, buf)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(string(buf[:n]), "\n"), nil
}

func writeSysctl(nsfd int, path, value string) error {
	fd, err := openSysctl(nsfd, path, unix.O_WRONLY)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	_, err = unix.Write(fd, []byte(value))
	return err
}

func explainSysctl(err error) error {
	switch {
	case errors.Is(err, unix.ENOENT):
		return fmt.Errorf("the kernel has no such key (%w)", err)
	case errors.Is(err, unix.EINVAL):
		return fmt.Errorf("the kernel refuses the value (%w)", err)
	case errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM):
		return fmt.Errorf("not allowed here (%w)", err)
	}
	return err
}
