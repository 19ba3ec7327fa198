package nsops

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"sync"
	"unsafe"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	vnetns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Families are the netlink families vishvananda/netlink v1.3.1's Handle
// sends requests on, besides NETLINK_ROUTE: IPsec (XFRM), conntrack and
// nftables (NETFILTER), devlink, ethtool, wireguard and others (GENERIC),
// socket diagnostics (SOCK_DIAG) and RDMA.
var Families = []int{unix.NETLINK_XFRM, unix.NETLINK_NETFILTER, unix.NETLINK_GENERIC, unix.NETLINK_SOCK_DIAG, unix.NETLINK_RDMA}

// ErrNoSockets marks a vishvananda/netlink whose Handle keeps its sockets
// in another way than the family map this package fills in.
var ErrNoSockets = errors.New("vishvananda/netlink's Handle no longer keeps its sockets in a map by family (field sockets)")

// HandleAt opens a netlink handle bound to the network namespace fd refers
// to: a socket of every family of [Families] and NETLINK_ROUTE, each opened
// inside that namespace. NETLINK_ROUTE is required. Any other family the
// kernel refuses there (xfrm_user or nfnetlink as modules not loaded, RDMA
// without ib_core) gets a stand-in socket of that namespace on which every
// request fails with ECONNREFUSED ("connection refused"): without a socket
// of a family, vishvananda/netlink would send the request through a fresh
// socket in the calling thread's namespace instead, silently.
//
// A family that answered EPROTONOSUPPORT ("protocol not supported") is not
// asked for again in this process: the kernel has no such family, and
// asking makes it try to load a module each time.
//
// The sockets are opened on a thread of their own (see [Run]), so the
// caller's thread never changes namespace.
func HandleAt(fd int) (*netlink.Handle, error) {
	return handleAt(fd, true, Run)
}

// RouteHandleAt is [HandleAt] for the library's own NETLINK_ROUTE work: only
// the NETLINK_ROUTE socket is real; every other family shares one stand-in,
// so a request of another family fails rather than reaching another
// namespace. It costs one socket more than a ROUTE-only handle.
func RouteHandleAt(fd int) (*netlink.Handle, error) {
	return handleAt(fd, false, Run)
}

// RouteHandleForTest is [RouteHandleAt] opened from the calling goroutine's
// own thread, as [RunForTest] describes: for the library's helpers that fail
// their test on any error, not for cleanups.
func RouteHandleForTest(fd int) (*netlink.Handle, error) {
	return handleAt(fd, false, RunForTest)
}

func handleAt(fd int, all bool, run func(int, func()) error) (*netlink.Handle, error) {
	var h *netlink.Handle
	var err error
	if rerr := run(fd, func() { h, err = handleHere(all) }); rerr != nil {
		if h != nil {
			h.Close()
		}
		return nil, rerr
	}
	return h, err
}

// HandleHere opens a handle of the calling thread's network namespace, as
// [RouteHandleAt] does for a namespace fd. The caller holds its thread
// locked, or the namespace is whichever its goroutine happens to run in.
func HandleHere() (*netlink.Handle, error) {
	return handleHere(false)
}

// absent records the families that answered EPROTONOSUPPORT.
var absent sync.Map // family -> struct{}

func handleHere(all bool) (*netlink.Handle, error) {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, err
	}
	sockets, err := socketsOf(h)
	if err != nil {
		h.Close()
		return nil, err
	}
	var standIn *nl.NetlinkSocket
	for _, fam := range Families {
		if all {
			if _, known := absent.Load(fam); !known {
				s, err := nl.GetNetlinkSocketAt(vnetns.None(), vnetns.None(), fam)
				if err == nil {
					sockets[fam] = &nl.SocketHandle{Socket: s}
					continue
				}
				if errors.Is(err, unix.EPROTONOSUPPORT) {
					absent.Store(fam, struct{}{})
				}
			}
		}
		if standIn == nil {
			if standIn, err = refusingSocket(); err != nil {
				h.Close()
				return nil, err
			}
		}
		// Each family has its own sequence numbers, also on a shared
		// socket; Close closes the shared socket more than once, which
		// os.File tolerates.
		sockets[fam] = &nl.SocketHandle{Socket: standIn}
	}
	return h, nil
}

// refusingSocket opens a NETLINK_USERSOCK socket in the calling thread's
// namespace. The kernel has no socket of that family, so every request sent
// on it to the kernel fails with ECONNREFUSED, and none reaches any
// namespace.
func refusingSocket() (*nl.NetlinkSocket, error) {
	s, err := nl.GetNetlinkSocketAt(vnetns.None(), vnetns.None(), unix.NETLINK_USERSOCK)
	if err != nil {
		return nil, fmt.Errorf("cannot open stand-in socket for missing netlink families, reason: %w", err)
	}
	return s, nil
}

// socketsOf returns the family map of h's sockets. vishvananda/netlink
// offers no way to add a socket to a handle, so the map is reached by its
// field name; the executable spec in package netlink pins that name.
func socketsOf(h *netlink.Handle) (map[int]*nl.SocketHandle, error) {
	f := reflect.ValueOf(h).Elem().FieldByName("sockets")
	if !f.IsValid() || f.Type() != reflect.TypeFor[map[int]*nl.SocketHandle]() {
		return nil, ErrNoSockets
	}
	m := *(*map[int]*nl.SocketHandle)(unsafe.Pointer(f.UnsafeAddr()))
	if m == nil {
		return nil, ErrNoSockets
	}
	return m, nil
}

// SubscribeLinksAt opens a socket in the network namespace fd refers to that
// receives the kernel's link notifications (RTNLGRP_LINK). A socket keeps the
// namespace it was created in, whatever thread later reads it.
func SubscribeLinksAt(fd int) (*nl.NetlinkSocket, error) {
	var s *nl.NetlinkSocket
	var err error
	if rerr := Run(fd, func() { s, err = nl.Subscribe(unix.NETLINK_ROUTE, unix.RTNLGRP_LINK) }); rerr != nil {
		if s != nil {
			s.Close()
		}
		return nil, rerr
	}
	return s, err
}

// IPv6Groups lists the IPv6 multicast groups that the link with the given
// index has joined, as the kernel's RTM_GETMULTICAST dump through h tells
// them: the groups of the namespace h is bound to. vishvananda/netlink has
// no request for it, so it is sent on h's own NETLINK_ROUTE socket, for that
// one link only (see [IPv6Addrs]).
func IPv6Groups(h *netlink.Handle, index int) ([]netip.Addr, error) {
	// The kernel answers this dump with messages of type RTM_GETMULTICAST,
	// not RTM_NEWMULTICAST: take them whatever their type.
	msgs, err := dumpIPv6Of(h, unix.RTM_GETMULTICAST, index)
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return nil, fmt.Errorf("cannot list IPv6 multicast groups, reason: %w", err)
	}
	var groups []netip.Addr
	for _, m := range msgs {
		attrs, err := nl.ParseRouteAttr(m[unix.SizeofIfAddrmsg:])
		if err != nil {
			return nil, fmt.Errorf("cannot parse IPv6 multicast groups, reason: %w", err)
		}
		for _, a := range attrs {
			if a.Attr.Type != unix.IFA_MULTICAST {
				continue
			}
			if g, ok := netip.AddrFromSlice(a.Value); ok {
				groups = append(groups, g)
			}
		}
	}
	return groups, err
}

// IfAddr is an address of a link and its IFA_F_* flags.
type IfAddr struct {
	Addr  netip.Addr
	Flags uint32
}

// IPv6Addrs lists the IPv6 addresses of the link with the given index in
// the namespace h is bound to, by an RTM_GETADDR dump for that link only.
//
// vishvananda/netlink's AddrList dumps every address of the namespace and
// picks the link's: on a bridge's namespace with a thousand ports, that
// makes each new port pay for all earlier ones. Here the request names the
// link's index, and the socket asks for strict checking of the request
// (NETLINK_GET_STRICT_CHK, Linux 4.20 and later) for its duration, under
// which the kernel dumps that one link's addresses only; a kernel that
// ignores the option dumps them all, and the answer is filtered here too.
// Like vishvananda/netlink's dumps, an interrupted dump returns what it got
// with netlink.ErrDumpInterrupted, for [RetryDump].
func IPv6Addrs(h *netlink.Handle, index int) ([]IfAddr, error) {
	msgs, err := dumpIPv6Of(h, unix.RTM_GETADDR, index)
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return nil, fmt.Errorf("cannot list IPv6 addresses, reason: %w", err)
	}
	var addrs []IfAddr
	for _, m := range msgs {
		hdr := nl.DeserializeIfAddrmsg(m)
		attrs, err := nl.ParseRouteAttr(m[unix.SizeofIfAddrmsg:])
		if err != nil {
			return nil, fmt.Errorf("cannot parse IPv6 addresses, reason: %w", err)
		}
		a := IfAddr{Flags: uint32(hdr.Flags)}
		for _, at := range attrs {
			switch at.Attr.Type {
			case unix.IFA_ADDRESS:
				a.Addr, _ = netip.AddrFromSlice(at.Value)
			case unix.IFA_FLAGS:
				if len(at.Value) == 4 {
					a.Flags = native.Uint32(at.Value)
				}
			}
		}
		if a.Addr.IsValid() {
			addrs = append(addrs, a)
		}
	}
	return addrs, err
}

// native is the byte order of netlink attributes: the host's.
var native = nl.NativeEndian()

// dumpIPv6Of sends an AF_INET6 dump request of type msgType for the link
// with the given index on h's NETLINK_ROUTE socket, with strict checking on
// while it runs, and returns the answers about that link, also with
// netlink.ErrDumpInterrupted. h must not be used by another goroutine
// meanwhile.
func dumpIPv6Of(h *netlink.Handle, msgType uint16, index int) ([][]byte, error) {
	sockets, err := socketsOf(h)
	if err != nil {
		return nil, err
	}
	route, ok := sockets[unix.NETLINK_ROUTE]
	if !ok {
		return nil, errors.New("the handle has no NETLINK_ROUTE socket")
	}
	fd := route.Socket.GetFd()
	// Kernels before 4.20 refuse the option, and dump everything: the
	// answer is filtered below either way.
	if unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_GET_STRICT_CHK, 1) == nil {
		defer unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_GET_STRICT_CHK, 0)
	}
	req := nl.NewNetlinkRequest(int(msgType), unix.NLM_F_DUMP)
	msg := nl.NewIfAddrmsg(unix.AF_INET6)
	msg.Index = uint32(index)
	req.AddData(msg)
	req.Sockets = sockets
	msgs, err := req.Execute(unix.NETLINK_ROUTE, 0)
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return nil, err
	}
	out := msgs[:0]
	for _, m := range msgs {
		if len(m) >= unix.SizeofIfAddrmsg && int(nl.DeserializeIfAddrmsg(m).Index) == index {
			out = append(out, m)
		}
	}
	return out, err
}
