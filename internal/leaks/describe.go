package leaks

import (
	"fmt"
	"net"
	"strings"

	"golang.org/x/sys/unix"
)

// DescribeFD says what the process's fd is beyond the target /proc shows
// for it, for a leak message: a socket's family, type and addresses and the
// network namespace it belongs to, which end of a pipe, a namespace's kind.
// A file's target is its path already, and an anonymous inode's names its
// kind ("anon_inode:[eventpoll]"): for those it returns "". The fd is looked
// at as it is now; one closed meanwhile gives "".
func DescribeFD(fd int, target string) string {
	switch {
	case strings.HasPrefix(target, "socket:"):
		return describeSocket(fd)
	case strings.HasPrefix(target, "pipe:"):
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		if err != nil {
			return ""
		}
		if flags&unix.O_ACCMODE == unix.O_WRONLY {
			return "write end of a pipe"
		}
		return "read end of a pipe"
	case strings.HasPrefix(target, "net:"):
		return "network namespace"
	case strings.HasPrefix(target, "mnt:"):
		return "mount namespace"
	case strings.HasPrefix(target, "user:"):
		return "user namespace"
	}
	return ""
}

var socketTypes = map[int]string{
	unix.SOCK_STREAM: "stream", unix.SOCK_DGRAM: "datagram", unix.SOCK_RAW: "raw",
	unix.SOCK_SEQPACKET: "seqpacket", unix.SOCK_PACKET: "packet",
}

var netlinkProtocols = map[int]string{
	unix.NETLINK_ROUTE: "route", unix.NETLINK_SOCK_DIAG: "sock_diag", unix.NETLINK_NETFILTER: "netfilter",
	unix.NETLINK_GENERIC: "generic", unix.NETLINK_XFRM: "xfrm", unix.NETLINK_AUDIT: "audit",
	unix.NETLINK_KOBJECT_UEVENT: "kobject_uevent",
}

// describeSocket reads a socket's family, type, protocol and addresses
// from the socket itself, which works whatever network namespace it lives
// in, and names that namespace.
func describeSocket(fd int) string {
	domain, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN)
	if err != nil {
		return ""
	}
	typ, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	proto, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PROTOCOL)
	var parts []string
	switch domain {
	case unix.AF_INET, unix.AF_INET6:
		kind := map[int]string{unix.IPPROTO_TCP: "tcp", unix.IPPROTO_UDP: "udp", unix.IPPROTO_ICMP: "icmp",
			unix.IPPROTO_ICMPV6: "icmpv6"}[proto]
		if kind == "" {
			kind = fmt.Sprintf("%s protocol %d", socketTypes[typ], proto)
		}
		family := "inet"
		if domain == unix.AF_INET6 {
			family = "inet6"
		}
		parts = append(parts, family+" "+kind)
	case unix.AF_UNIX:
		parts = append(parts, "unix "+socketTypes[typ])
	case unix.AF_NETLINK:
		name := netlinkProtocols[proto]
		if name == "" {
			name = fmt.Sprintf("protocol %d", proto)
		}
		parts = append(parts, "netlink "+name)
	case unix.AF_PACKET:
		parts = append(parts, "packet "+socketTypes[typ])
	default:
		parts = append(parts, fmt.Sprintf("family %d %s", domain, socketTypes[typ]))
	}
	if sa, err := unix.Getsockname(fd); err == nil {
		if local := sockaddr(sa); local != "" {
			parts = append(parts, "local "+local)
		}
	}
	if sa, err := unix.Getpeername(fd); err == nil {
		if peer := sockaddr(sa); peer != "" {
			parts = append(parts, "peer "+peer)
		}
	}
	// SIOCGSKNS opens the socket's network namespace; it needs
	// CAP_NET_ADMIN there, and without it the namespace goes unnamed.
	if nsfd, err := unix.IoctlRetInt(fd, unix.SIOCGSKNS); err == nil {
		var st unix.Stat_t
		if unix.Fstat(nsfd, &st) == nil {
			parts = append(parts, fmt.Sprintf("in net:[%d]", st.Ino))
		}
		unix.Close(nsfd)
	}
	return strings.Join(parts, ", ")
}

func sockaddr(sa unix.Sockaddr) string {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return net.JoinHostPort(net.IP(a.Addr[:]).String(), fmt.Sprint(a.Port))
	case *unix.SockaddrInet6:
		return net.JoinHostPort(net.IP(a.Addr[:]).String(), fmt.Sprint(a.Port))
	case *unix.SockaddrUnix:
		if a.Name == "" {
			return ""
		}
		return a.Name
	case *unix.SockaddrNetlink:
		return fmt.Sprintf("port id %d", a.Pid)
	case *unix.SockaddrLinklayer:
		// The index belongs to the socket's namespace, not the caller's.
		return fmt.Sprintf("ifindex %d", a.Ifindex)
	}
	return ""
}
