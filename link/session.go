package link

import (
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// session holds the netlink handles of one operation, one per namespace.
// Opening a handle bound to a namespace costs two setns calls on a locked
// thread; creating a link touches its namespaces several times (create,
// look up, address, set up, wait), so the handles are opened once each.
// The handles are opened from the calling goroutine's own thread (see
// [nsops.RunForTest]), so a session belongs to a helper that fails its test
// on any error, never to a cleanup.
type session struct {
	byIno map[uint64]*netlink.Handle
	owned []int // fds the session opened itself
}

func newSession() *session {
	return &session{byIno: map[uint64]*netlink.Handle{}}
}

// at returns the handle for the namespace nsfd refers to; nsfd stays owned
// by the caller and must stay open while the session is used.
func (s *session) at(nsfd int) (*netlink.Handle, error) {
	ino, err := nsops.Ino(nsfd)
	if err != nil {
		return nil, err
	}
	if h, ok := s.byIno[ino]; ok {
		return h, nil
	}
	h, err := nsops.RouteHandleForTest(nsfd)
	if err != nil {
		return nil, err
	}
	s.byIno[ino] = h
	return h, nil
}

// forLink returns the namespace fd and handle for the namespace a link lives
// in, as [nsops.ExistingLinkNs] resolves it, and which namespace it assumed
// when nothing named one.
func (s *session) forLink(l netlink.Link) (int, *netlink.Handle, string, error) {
	plain, wrapped := Unwrap(l)
	nsfd, assumed, err := nsops.ExistingLinkNs(plain, wrapped)
	if err != nil {
		return -1, nil, "", err
	}
	s.owned = append(s.owned, nsfd)
	h, err := s.at(nsfd)
	return nsfd, h, assumed, err
}

func (s *session) close() {
	for _, h := range s.byIno {
		h.Close()
	}
	for _, fd := range s.owned {
		unix.Close(fd)
	}
}
