package ownedfd

import (
	"os"
	"syscall"
	"testing"

	"github.com/scratchnet/scratchnet/lab"
	"github.com/scratchnet/scratchnet/mntns"
	"github.com/scratchnet/scratchnet/netns"
	nwnetns "github.com/thediveo/notwork/netns"
	vishnetns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

func closesTransient() {
	fd := netns.NewTransient()
	use(fd)
	defer unix.Close(fd) // want `unix.Close closes an fd that netns.NewTransient returned: the library closes it at cleanup.*drop this close`
}

func closesCurrent() {
	fd := netns.Current()
	use(fd)
	syscall.Close(fd) // want `syscall.Close closes an fd that netns.Current returned`
}

func closesMountNamespace() {
	mntfd, _ := mntns.NewTransient()
	use(mntfd)
	unix.Close(mntfd) // want `unix.Close closes an fd that mntns.NewTransient returned`
}

func closesThroughHandle() {
	var fd = nwnetns.NewTransient()
	use(fd)
	h := vishnetns.NsHandle(fd)
	h.Close() // want `h.Close closes an fd that nwnetns.NewTransient returned: the library closes it at cleanup.*drop this close`
}

func closesThroughHandleOfT(t *testing.T) {
	h := vishnetns.NsHandle(netns.NewTransientT(t))
	defer h.Close() // want `h.Close closes an fd that netns.NewTransientT returned`
}

func closesHostNamespace(host *lab.Host) {
	defer unix.Close(host.Netns()) // want `unix.Close closes an fd that host.Netns returned`
}

func closesSegmentNamespace(seg *lab.Segment, iface *lab.Iface) {
	fd := seg.Netns()
	use(fd)
	unix.Close(fd)                    // want `unix.Close closes an fd that seg.Netns returned`
	syscall.Close(int(iface.Netns())) // want `syscall.Close closes an fd that iface.Netns returned`
}

func closesThroughFile(t *testing.T) {
	fd := netns.CurrentT(t)
	os.NewFile(uintptr(fd), "netns").Close()                // want `os.NewFile hands an fd that netns.CurrentT returned to an \*os.File.*wrap a duplicate`
	f := os.NewFile(uintptr(netns.NewTransient()), "netns") // want `os.NewFile hands an fd that netns.NewTransient returned to an \*os.File`
	defer f.Close()
}

func closesMountNamespaceOfT(t *testing.T) {
	mntfd, _ := mntns.NewTransientT(t)
	use(mntfd)
	unix.Close(mntfd) // want `unix.Close closes an fd that mntns.NewTransientT returned`
}

func wrapsDuplicate() {
	dup, _ := unix.Dup(netns.NewTransient())
	os.NewFile(uintptr(dup), "netns").Close()
	sock, _ := unix.Socket(1, 2, 0)
	h := vishnetns.NsHandle(sock)
	h.Close()
}

func closesInCondition() {
	if err := unix.Close(netns.NewTransient()); err != nil { // want `unix.Close closes an fd that netns.NewTransient returned`
		panic(err)
	}
}

func closesOwnFd() {
	fd, _ := unix.Socket(1, 2, 0)
	unix.Close(fd)
	reused := netns.NewTransient()
	reused, _ = unix.Socket(1, 2, 0)
	unix.Close(reused)
}

func use(fd int) {}
