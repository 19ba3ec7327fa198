package netns

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/internal/scope"
)

// pathKey identifies one path: one namespace in one cleanup scope.
type pathKey struct {
	sc  *scope.Scope
	ino uint64
}

var (
	pathsMu sync.Mutex
	paths   = map[pathKey]string{}
)

// Path returns a file system path of the network namespace netnsfd refers
// to, for software that takes a path rather than an fd or a name: CNI
// plugins (CNI_NETNS), "nsenter --net=PATH", container runtimes. Every
// process in the test's mount namespace can open it, whatever its user,
// which includes every process the test starts, through this package or
// with os/exec; opening it and entering the namespace (setns) takes what
// entering takes anyway, root of the user namespace that owns it.
//
// The path is a pin (see [Pin]) named netns-INODE under /run/netns. Within
// one test, or one spec's BeforeEach, JustBeforeEach and It nodes, the first
// call for a namespace makes it and later calls return it; other nodes
// (BeforeAll, AfterEach, ...) get a pin per call. It keeps the namespace
// alive, and is unmounted and removed by the cleanup of the node that made
// it: the path is valid from the call until then and never refers to
// anything else, so a plugin run after that cleanup (a CNI DEL in a later
// node) fails with "no such file" instead of acting elsewhere. Call Path in
// the node that runs the software, or in a BeforeEach of its spec.
//
// In the sandbox (package sandbox) the path exists only in the sandbox's
// mount namespace: a shell on the host opens it with "nsenter -t PID -m"
// (and -U rootless), as the pause-on-failure lines show. Where this process
// may not mount (an unprivileged user without the sandbox, where only
// namespaces the user already has can be named), the path is
// /proc/PID/fd/FD of this process instead: valid while netnsfd stays open,
// for processes of the same user that may inspect this one (same uid, not
// made undumpable), and a number that may name another file once netnsfd
// is closed.
func Path(netnsfd int) string {
	GinkgoHelper()
	return PathT(GinkgoTB(), netnsfd)
}

// PathT is [Path] for plain testing users.
func PathT(t testing.TB, netnsfd int) string {
	t.Helper()
	ino, err := nsops.Ino(netnsfd)
	if err == nil {
		err = nsops.Check(netnsfd)
	}
	if err != nil {
		t.Fatalf("cannot give a path to %s, reason: %v", nsops.Describe(netnsfd), err)
		return ""
	}
	sc := scope.Of(t)
	key := pathKey{sc: sc, ino: ino}
	pathsMu.Lock()
	defer pathsMu.Unlock()
	if p, ok := paths[key]; ok {
		return p
	}
	p, err := pin(netnsfd, "netns-"+strconv.FormatUint(ino, 10))
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		// No mount here: the only namespaces are the user's own.
		return fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), netnsfd)
	}
	if err != nil {
		t.Fatalf("cannot give a path to %s, reason: %v", nsops.Describe(netnsfd), err)
		return ""
	}
	paths[key] = p
	release := scope.Hold(sc, ino)
	sc.Cleanup(t, func() {
		defer release()
		pathsMu.Lock()
		delete(paths, key)
		pathsMu.Unlock()
		if err := unpin(p); err != nil {
			t.Errorf("cannot remove the path %s of %s, reason: %v", p, nsops.DescribeIno(ino), err)
		}
	})
	return p
}
