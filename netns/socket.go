package netns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/internal/scope"
)

// Listen returns a listener whose socket lives in the network namespace
// netnsfd refers to, as net.Listen would make it there: network is "tcp",
// "tcp4", "tcp6", "unix" or "unixpacket", and a Unix address beginning with
// "@" names an abstract socket, which belongs to the namespace too. The
// kernel keeps a socket in the namespace it was created in, so the listener
// (and every connection it accepts) may be used from any goroutine, such as
// one running http.Serve. A host name in address is resolved through the
// namespace (see [Dialer]).
//
// The listener is closed when the current node's cleanup runs, unless the
// caller closed it before; closing it twice is harmless. netnsfd stays
// owned by the caller.
func Listen(netnsfd int, network, address string) net.Listener {
	GinkgoHelper()
	return ListenT(GinkgoTB(), netnsfd, network, address)
}

// ListenT is [Listen] for plain testing users; the listener is closed
// through t.Cleanup.
func ListenT(t testing.TB, netnsfd int, network, address string) net.Listener {
	t.Helper()
	var ln net.Listener
	err := bind(netnsfd, network, address, func(address string) (err error) {
		ln, err = net.Listen(network, address)
		return err
	}, func() { ln.Close() })
	if err != nil {
		t.Fatalf("cannot listen on %s %s in %s, reason: %v", network, address, nsops.Describe(netnsfd), err)
	}
	closeAtCleanup(t, netnsfd, ln)
	return ln
}

// ListenPacket returns a packet conn whose socket lives in the network
// namespace netnsfd refers to, as net.ListenPacket would make it there:
// network is "udp", "udp4", "udp6", "unixgram", or an IP network such as
// "ip4:icmp" (which needs privilege in the namespace). As with [Listen],
// it may be used from any goroutine, is closed when the current node's
// cleanup runs unless the caller closed it before, and netnsfd stays owned
// by the caller.
func ListenPacket(netnsfd int, network, address string) net.PacketConn {
	GinkgoHelper()
	return ListenPacketT(GinkgoTB(), netnsfd, network, address)
}

// ListenPacketT is [ListenPacket] for plain testing users; the conn is
// closed through t.Cleanup.
func ListenPacketT(t testing.TB, netnsfd int, network, address string) net.PacketConn {
	t.Helper()
	var pc net.PacketConn
	err := bind(netnsfd, network, address, func(address string) (err error) {
		pc, err = net.ListenPacket(network, address)
		return err
	}, func() { pc.Close() })
	if err != nil {
		t.Fatalf("cannot listen on %s %s in %s, reason: %v", network, address, nsops.Describe(netnsfd), err)
	}
	closeAtCleanup(t, netnsfd, pc)
	return pc
}

// Dial returns a connection whose socket lives in the network namespace
// netnsfd refers to, dialed from there as net.Dial would (see [Dialer] for
// networks and names). It waits as long as the kernel lets a connection
// attempt last; [NewDialer] gives a dialer with a timeout and a context.
// The connection is closed when the current node's cleanup runs, unless
// the caller closed it before. netnsfd stays owned by the caller.
func Dial(netnsfd int, network, address string) net.Conn {
	GinkgoHelper()
	return DialT(GinkgoTB(), netnsfd, network, address)
}

// DialT is [Dial] for plain testing users; the connection is closed
// through t.Cleanup.
func DialT(t testing.TB, netnsfd int, network, address string) net.Conn {
	t.Helper()
	conn, err := dial(context.Background(), netnsfd, &net.Dialer{}, network, address)
	if err != nil {
		t.Fatalf("cannot dial %s %s from %s, reason: %v", network, address, nsops.Describe(netnsfd), err)
	}
	closeAtCleanup(t, netnsfd, conn)
	return conn
}

// Dialer dials connections whose sockets live in one network namespace,
// from any goroutine: its DialContext has the signature that
// http.Transport's DialContext and net.Resolver's Dial take, and
// grpc.WithContextDialer takes it as
//
//	grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) })
//
// Networks are those of net.Dial: "tcp", "tcp4", "tcp6", "udp", "udp4",
// "udp6", "unix", "unixgram", "unixpacket" ("@" for an abstract Unix
// socket) and IP networks such as "ip4:icmp". A host name is resolved as
// Go's own resolver does (/etc/hosts, then the name servers of
// /etc/resolv.conf), its queries sent from the namespace; the addresses are
// tried one after the other. An IPv6 zone may name an interface of the
// namespace ("fe80::1%eth0"): it is looked up there, not in the process's
// namespace.
//
// Connections are of the types net makes (a *net.TCPConn for TCP), and
// errors wrap their cause, so that errors.Is(err, syscall.ECONNREFUSED)
// holds for a refused dial.
//
// Every connection the dialer made is closed when the cleanup of the node
// that made the dialer runs, unless the caller closed it before, whichever
// goroutine dialed it; later dials fail. Set the fields before the first
// dial, and do not change them while it may dial. Only [NewDialer] makes a
// usable Dialer: the zero Dialer refuses to dial.
type Dialer struct {
	// Timeout bounds each dial, name resolution included; zero leaves the
	// bound to the context and the kernel.
	Timeout time.Duration
	// LocalAddr is the local address to dial from, as for net.Dialer; nil
	// lets the kernel choose.
	LocalAddr net.Addr

	nsfd  int // a duplicate of the caller's fd, closed at cleanup
	where string

	mu     sync.Mutex
	closed bool
	conns  []net.Conn
	sweep  int // the number of tracked conns at which closed ones are dropped
}

// NewDialer returns a [Dialer] for the network namespace netnsfd refers
// to. netnsfd stays owned by the caller and may be closed once the dialer
// exists.
func NewDialer(netnsfd int) *Dialer {
	GinkgoHelper()
	return NewDialerT(GinkgoTB(), netnsfd)
}

// NewDialerT is [NewDialer] for plain testing users; the dialer's
// connections are closed through t.Cleanup.
func NewDialerT(t testing.TB, netnsfd int) *Dialer {
	t.Helper()
	where := nsops.Describe(netnsfd)
	ino, err := nsops.Ino(netnsfd)
	var own int
	if err == nil {
		own, err = nsops.Dup(netnsfd)
	}
	if err != nil {
		t.Fatalf("cannot make dialer for %s, reason: %v", where, err)
	}
	d := &Dialer{nsfd: own, where: where, sweep: 64}
	sc := scope.Of(t)
	release := scope.Hold(sc, ino)
	sc.Cleanup(t, func() {
		d.close()
		unix.Close(own)
		release()
	})
	return d
}

// Dial is [Dialer.DialContext] without a context.
func (d *Dialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

// DialContext dials address on network from the dialer's namespace, from
// any goroutine, and returns the connection or an error of the form
// "cannot dial ... from network namespace ..., reason: ...". ctx bounds
// the dial, name resolution included; once connected, its end no longer
// matters.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	fail := func(err error) (net.Conn, error) {
		return nil, fmt.Errorf("cannot dial %s %s from %s, reason: %w", network, address, d.where, err)
	}
	if d.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d.Timeout)
		defer cancel()
	}
	if d.where == "" {
		return nil, fmt.Errorf("cannot dial %s %s, reason: the dialer was not made by netns.NewDialer", network, address)
	}
	d.mu.Lock()
	closed := d.closed
	d.mu.Unlock()
	if closed {
		return fail(errors.New("the dialer was closed by the cleanup of the node that made it"))
	}
	conn, err := dial(ctx, d.nsfd, &net.Dialer{LocalAddr: d.LocalAddr}, network, address)
	if err != nil {
		return fail(err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		conn.Close()
		return fail(errors.New("the dialer was closed by the cleanup of the node that made it"))
	}
	d.track(conn)
	return conn, nil
}

// track keeps conn for the cleanup; d.mu is held. Conns stay of the type
// net made them (a *net.TCPConn stays one for type assertions), so closed
// ones are found by asking each, once their number has doubled.
func (d *Dialer) track(conn net.Conn) {
	d.conns = append(d.conns, conn)
	if len(d.conns) < d.sweep {
		return
	}
	open := d.conns[:0]
	for _, c := range d.conns {
		if !isClosed(c) {
			open = append(open, c)
		}
	}
	clear(d.conns[len(open):])
	d.conns = open
	d.sweep = max(64, 2*len(open))
}

// isClosed reports whether conn was closed; a conn that cannot tell counts
// as open, to be closed at cleanup.
func isClosed(conn net.Conn) bool {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	return rc.Control(func(uintptr) {}) != nil
}

func (d *Dialer) close() {
	d.mu.Lock()
	conns := d.conns
	d.closed, d.conns = true, nil
	d.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// NewHTTPClient returns an *http.Client whose connections are dialed from
// the network namespace netnsfd refers to, through a [Dialer] of its own,
// so that requests may be sent from any goroutine. It uses no proxy (one
// named in the environment is the process's, not the namespace's). Its
// connections, idle or not, are closed when the current node's cleanup
// runs; requests after that fail. netnsfd stays owned by the caller.
func NewHTTPClient(netnsfd int) *http.Client {
	GinkgoHelper()
	return NewHTTPClientT(GinkgoTB(), netnsfd)
}

// NewHTTPClientT is [NewHTTPClient] for plain testing users; the
// connections are closed through t.Cleanup.
func NewHTTPClientT(t testing.TB, netnsfd int) *http.Client {
	t.Helper()
	d := NewDialerT(t, netnsfd)
	tr := &http.Transport{
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	// Runs before the dialer's cleanup, registered earlier: the
	// transport lets go of its idle conns before they are closed under it.
	scope.Of(t).Cleanup(t, tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// Do runs fn with its thread in the network namespace netnsfd refers to,
// and returns fn's error as it is. Unlike [Execute], it fails no test and
// may be called from any goroutine: it is for callbacks that a third-party
// library calls on goroutines of its own, such as a function that opens
// the library's sockets, which then live in the namespace:
//
//	bind.Open = func(port uint16) error { return netns.Do(fd, func() error { return inner.Open(port) }) }
//
// fn runs on a goroutine of its own, locked to its thread, and the
// caller's thread never changes namespace; Do waits for it. Goroutines
// that fn starts do not run in the namespace. A panic in fn continues in
// the caller. fn must not end its goroutine (runtime.Goexit, t.FailNow).
//
// Do returns an error of its own, "cannot run function in network
// namespace ..., reason: ...", when netnsfd is not a network namespace or
// the thread cannot switch into it (fn has not run), or when the thread
// cannot switch back (fn has run, and its effects stand; the thread is
// retired rather than reused in the namespace). netnsfd stays owned by the
// caller.
func Do(netnsfd int, fn func() error) error {
	if fn == nil {
		return fmt.Errorf("cannot run function in %s, reason: the function is nil", nsops.Describe(netnsfd))
	}
	var ferr error
	if err := nsops.Run(netnsfd, func() { ferr = fn() }); err != nil {
		return fmt.Errorf("cannot run function in %s, reason: %w", nsops.Describe(netnsfd), err)
	}
	return ferr
}

// closeAtCleanup closes c at the cleanup of t's node; the socket keeps its
// namespace alive until then.
func closeAtCleanup(t testing.TB, netnsfd int, c interface{ Close() error }) {
	sc := scope.Of(t)
	release := func() {}
	if ino, err := nsops.Ino(netnsfd); err == nil {
		release = scope.Hold(sc, ino)
	}
	sc.Cleanup(t, func() {
		c.Close()
		release()
	})
}

// bind resolves address in the namespace and calls open there with the
// address to listen on: the first IPv4 address of a name for networks that
// take either version, as net.Listen picks. undo closes what open made
// when the thread could not switch back after it.
func bind(nsfd int, network, address string, open func(address string) error, undo func()) error {
	addrs, err := resolve(context.Background(), nsfd, network, address)
	if err != nil {
		return err
	}
	pick := addrs[0]
	if !strings.HasSuffix(network, "6") {
		for _, a := range addrs {
			if h, _, ok := splitHost(network, a); ok {
				if ip, err := netip.ParseAddr(h); err == nil && ip.Is4() {
					pick = a
					break
				}
			}
		}
	}
	var opened bool
	err = inNamespace(nsfd, func() error {
		a, err := numericZone(network, pick)
		if err == nil {
			err = open(a)
		}
		opened = err == nil
		return err
	})
	if err != nil && opened {
		undo()
	}
	return unwrapOp(err)
}

// dial resolves address in the namespace and dials each of its addresses
// from there, one after the other, until one connects.
func dial(ctx context.Context, nsfd int, nd *net.Dialer, network, address string) (net.Conn, error) {
	addrs, err := resolve(ctx, nsfd, network, address)
	if err != nil {
		return nil, err
	}
	var first error
	for _, a := range addrs {
		conn, err := dialOne(ctx, nsfd, nd, network, a)
		if err == nil {
			return conn, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, unwrapOp(first)
}

// dialOne dials an address that needs no resolution, on a thread in the
// namespace: net creates the socket on the calling thread, and with one
// address it starts no goroutine that would create one elsewhere.
func dialOne(ctx context.Context, nsfd int, nd *net.Dialer, network, address string) (net.Conn, error) {
	var conn net.Conn
	err := inNamespace(nsfd, func() error {
		a, err := numericZone(network, address)
		if err == nil {
			conn, err = nd.DialContext(ctx, network, a)
		}
		return err
	})
	if err != nil && conn != nil {
		conn.Close()
		conn = nil
	}
	return conn, err
}

// inNamespace runs fn on a thread in the namespace (see nsops.Run) and
// returns the switch's error or else fn's.
func inNamespace(nsfd int, fn func() error) error {
	var ferr error
	if err := nsops.Run(nsfd, func() { ferr = fn() }); err != nil {
		return err
	}
	return ferr
}

// resolve returns the addresses to use for address: address itself when
// its host is empty or an IP address, or when network has no host names
// (Unix sockets, or one net does not know, which net then refuses), and
// otherwise one for each IP address the host name resolves to, through a
// resolver whose queries leave from the namespace.
func resolve(ctx context.Context, nsfd int, network, address string) ([]string, error) {
	host, join, ok := splitHost(network, address)
	if !ok || host == "" {
		return []string{address}, nil
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return []string{address}, nil
	}
	if i := strings.IndexByte(host, '%'); i >= 0 {
		if _, err := netip.ParseAddr(host[:i]); err == nil {
			return []string{address}, nil
		}
	}
	family := "ip"
	switch {
	case strings.HasSuffix(network, "4"), strings.HasPrefix(network, "ip4"):
		family = "ip4"
	case strings.HasSuffix(network, "6"), strings.HasPrefix(network, "ip6"):
		family = "ip6"
	}
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
		return dialOne(ctx, nsfd, &net.Dialer{}, network, address)
	}}
	ips, err := r.LookupNetIP(ctx, family, host)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = join(ip.Unmap().String())
	}
	return out, nil
}

// splitHost returns the host part of address for a network whose
// addresses have one, and a function that puts another host in its place.
func splitHost(network, address string) (host string, join func(string) string, ok bool) {
	switch network {
	case "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6":
		host, port, err := net.SplitHostPort(address)
		if err != nil {
			return "", nil, false
		}
		return host, func(h string) string { return net.JoinHostPort(h, port) }, true
	}
	if network == "ip" || strings.HasPrefix(network, "ip:") || strings.HasPrefix(network, "ip4") || strings.HasPrefix(network, "ip6") {
		return address, func(h string) string { return h }, true
	}
	return "", nil, false
}

// numericZone replaces an interface name in an IPv6 zone of address by the
// interface's index in the calling thread's namespace. net would look the
// name up in a cache of its own for the whole process, filled from
// whichever namespace asked first.
func numericZone(network, address string) (string, error) {
	host, join, ok := splitHost(network, address)
	i := strings.IndexByte(host, '%')
	if !ok || i < 0 {
		return address, nil
	}
	zone := host[i+1:]
	if _, err := strconv.Atoi(zone); err == nil {
		return address, nil
	}
	ifi, err := net.InterfaceByName(zone)
	if err != nil {
		return "", fmt.Errorf("cannot find interface %q of zone %q, reason: %w", zone, host, err)
	}
	return join(host[:i+1] + strconv.Itoa(ifi.Index)), nil
}

// unwrapOp drops the *net.OpError around a cause: the message that wraps
// it names the operation and the address already.
func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}
