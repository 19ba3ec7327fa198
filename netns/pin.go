package netns

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/diag"
	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/internal/scope"
	"github.com/scratchnet/scratchnet/sandbox"
)

// pinSeq numbers this process's pins in a shared /run/netns.
var pinSeq atomic.Uint64

// The directory /run/netns is removed again with the last pin when this
// process made it, as "ip netns" would have had to.
var (
	pinDirMu   sync.Mutex
	pinDirMade bool
	pinsLive   int
)

// Pin gives the network namespace netnsfd refers to a name under
// /run/netns, as "ip netns add" would, so that external tools find it:
// "ip -n NAME ...", "ip netns exec NAME ..." and "nsenter
// --net=/run/netns/NAME". It returns the name used, which the caller must
// pass to those tools. The cleanup of the current node unmounts the name
// and removes the file; until then the name keeps the namespace alive.
//
// In the sandbox (package sandbox) /run/netns belongs to the test binary,
// and name is used as it is unless this process pinned it already. Where
// /run/netns is shared with other processes (root without the sandbox),
// name gets a suffix unique to this process and pin, so that parallel test
// processes ("go test ./...", "ginkgo -p") never collide; /run/netns is
// made if missing, and removed again with the last pin if this process made
// it and nothing else is in it.
func Pin(netnsfd int, name string) string {
	GinkgoHelper()
	return PinT(GinkgoTB(), netnsfd, name)
}

// PinT is [Pin] for plain testing users.
func PinT(t testing.TB, netnsfd int, name string) string {
	t.Helper()
	path, err := pin(netnsfd, name)
	if err != nil {
		t.Fatalf("cannot pin %s under %s as %q, reason: %v", nsops.Describe(netnsfd), sandbox.RunNetnsDir, name, err)
	}
	sc := scope.Of(t)
	release := func() {}
	if ino, err := nsops.Ino(netnsfd); err == nil {
		release = scope.Hold(sc, ino)
	}
	sc.Cleanup(t, func() {
		defer release()
		if err := unpin(path); err != nil {
			t.Errorf("cannot remove pinned network namespace %s, reason: %v", path, err)
		}
	})
	return filepath.Base(path)
}

func init() {
	// A failing test paused by SCRATCHNET_PAUSE_ON_FAILURE offers
	// "ip netns exec NAME" for each of its namespaces.
	diag.Pinner = func(nsFd int, name string) (string, func() error, error) {
		path, err := pin(nsFd, name)
		if err != nil {
			return "", nil, err
		}
		return filepath.Base(path), func() error { return unpin(path) }, nil
	}
}

func pin(netnsfd int, name string) (string, error) {
	if name == "" || strings.ContainsAny(name, "/ \t\n") || name == "." || name == ".." {
		return "", errors.New(`a name must be non-empty, without '/' or white space, and neither "." nor ".."`)
	}
	if err := nsops.Check(netnsfd); err != nil {
		return "", err
	}
	pinDirMu.Lock()
	defer pinDirMu.Unlock()
	if err := os.Mkdir(sandbox.RunNetnsDir, 0o755); err == nil {
		pinDirMade = true
	} else if !errors.Is(err, fs.ErrExist) {
		return "", err
	}
	private := sandbox.PrivateRunNetns()
	for attempt := 0; ; attempt++ {
		candidate := name
		if !private || attempt > 0 {
			candidate = fmt.Sprintf("%s-%d-%d", name, sandbox.HostPid(), pinSeq.Add(1))
		}
		path := filepath.Join(sandbox.RunNetnsDir, candidate)
		fd, err := unix.Open(path, unix.O_CREAT|unix.O_EXCL|unix.O_RDONLY|unix.O_CLOEXEC, 0o444)
		if errors.Is(err, unix.EEXIST) && attempt < 100 {
			continue
		}
		if errors.Is(err, unix.ENOENT) && attempt < 100 {
			// Another process removed the directory with its last pin.
			if os.Mkdir(sandbox.RunNetnsDir, 0o755) == nil {
				pinDirMade = true
			}
			continue
		}
		if err != nil {
			return "", err
		}
		unix.Close(fd)
		src := "/proc/self/fd/" + strconv.Itoa(netnsfd)
		if err := unix.Mount(src, path, "", unix.MS_BIND, ""); err != nil {
			os.Remove(path)
			return "", fmt.Errorf("cannot bind mount the namespace on %s: %w", path, err)
		}
		pinsLive++
		return path, nil
	}
}

// unpin undoes pin: detach the bind mount, then remove the file.
func unpin(path string) error {
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
		return err
	}
	if err := os.Remove(path); err != nil {
		return err
	}
	pinDirMu.Lock()
	defer pinDirMu.Unlock()
	if pinsLive--; pinsLive == 0 && pinDirMade {
		// Another process may have pinned a name there meanwhile; then
		// the directory stays, as it must.
		if os.Remove(sandbox.RunNetnsDir) == nil {
			pinDirMade = false
		}
	}
	return nil
}
