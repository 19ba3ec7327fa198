package diag

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// tcpListen is the TCP_LISTEN state of the kernel's TCP state machine.
const tcpListen = 10

// socketLines lists the TCP sockets listening in the namespace and its UDP
// sockets without a peer, as "ss -ltun" does, read through sock_diag. A
// kernel without the inet_diag modules gives no section.
func socketLines(nsFd int) []string {
	var lines []string
	var err error
	// The sock_diag socket is opened by the calling thread, inside the
	// namespace: a bound NETLINK_ROUTE handle has no such socket, and
	// vishvananda/netlink would open one in the caller's namespace.
	derr := nsops.Do(nsFd, func() {
		for _, family := range []uint8{unix.AF_INET, unix.AF_INET6} {
			var tcp, udp []*netlink.Socket
			if tcp, err = nsops.RetryDump(func() ([]*netlink.Socket, error) { return netlink.SocketDiagTCP(family) }); err != nil {
				return
			}
			if udp, err = nsops.RetryDump(func() ([]*netlink.Socket, error) { return netlink.SocketDiagUDP(family) }); err != nil {
				return
			}
			for _, s := range tcp {
				if s.State == tcpListen {
					lines = append(lines, "tcp "+socketAddr(s.ID.Source, s.ID.SourcePort)+socketOwner(s))
				}
			}
			for _, s := range udp {
				if s.ID.Destination == nil || s.ID.Destination.IsUnspecified() {
					lines = append(lines, "udp "+socketAddr(s.ID.Source, s.ID.SourcePort)+socketOwner(s))
				}
			}
		}
	})
	if derr != nil {
		err = derr
	}
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EPROTONOSUPPORT) {
		return nil
	}
	if err != nil {
		return []string{fmt.Sprintf("cannot list sockets, reason: %v", err)}
	}
	slices.SortFunc(lines, NaturalCompare)
	return lines
}

func socketAddr(ip net.IP, port uint16) string {
	return net.JoinHostPort(ip.String(), strconv.Itoa(int(port)))
}

func socketOwner(s *netlink.Socket) string {
	return fmt.Sprintf(" uid %d inode %d", s.UID, s.INode)
}
