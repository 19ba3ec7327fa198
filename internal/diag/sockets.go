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
	socks, err := ListeningSockets(nsFd)
	if err != nil {
		return []string{fmt.Sprintf("cannot list sockets, reason: %v", err)}
	}
	var lines []string
	for _, s := range socks {
		lines = append(lines, fmt.Sprintf("%s %s uid %d inode %d", s.Proto, s.Addr, s.UID, s.Inode))
	}
	slices.SortFunc(lines, NaturalCompare)
	return lines
}

// A Socket is a listening TCP socket or an unconnected UDP socket.
type Socket struct {
	// Proto is "tcp" or "udp".
	Proto string
	// Addr is the local address and port, such as "0.0.0.0:53" or "[::]:80".
	Addr string
	// UID owns the socket; Inode identifies it while it is open.
	UID, Inode uint32
}

// ListeningSockets lists the TCP sockets listening in the namespace and its
// UDP sockets without a peer, IPv4 then IPv6, through sock_diag. A kernel
// without the inet_diag modules gives none.
func ListeningSockets(nsFd int) ([]Socket, error) {
	var socks []Socket
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
					socks = append(socks, Socket{"tcp", socketAddr(s.ID.Source, s.ID.SourcePort), s.UID, s.INode})
				}
			}
			for _, s := range udp {
				if s.ID.Destination == nil || s.ID.Destination.IsUnspecified() {
					socks = append(socks, Socket{"udp", socketAddr(s.ID.Source, s.ID.SourcePort), s.UID, s.INode})
				}
			}
		}
	})
	if derr != nil {
		err = derr
	}
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EPROTONOSUPPORT) {
		return nil, nil
	}
	return socks, err
}

func socketAddr(ip net.IP, port uint16) string {
	return net.JoinHostPort(ip.String(), strconv.Itoa(int(port)))
}
