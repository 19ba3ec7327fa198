package ownedfd

import (
	"syscall"

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
	vishnetns.NsHandle(fd).Close() // want `vishnetns.NsHandle\(fd\).Close closes an fd that nwnetns.NewTransient returned`
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
