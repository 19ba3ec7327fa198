package netns

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// DefaultWaitTimeout is how long the readiness waits wait unless
// [WithTimeout] says otherwise.
const DefaultWaitTimeout = 10 * time.Second

// WaitOpt configures a readiness wait.
type WaitOpt func(*waitOptions) error

type waitOptions struct {
	timeout time.Duration
}

// WithTimeout sets how long a readiness wait waits before it fails the
// spec; the default is [DefaultWaitTimeout].
func WithTimeout(d time.Duration) WaitOpt {
	return func(o *waitOptions) error {
		if d <= 0 {
			return fmt.Errorf("WithTimeout(%s): a timeout must be positive", d)
		}
		o.timeout = d
		return nil
	}
}

// Socket states as sock_diag reports them (include/net/tcp_states.h).
const (
	tcpListen = 10
	udpUnconn = 7 // TCP_CLOSE: an unconnected UDP socket, bound or not
)

// WaitListening waits until a socket in the network namespace netnsfd
// refers to listens on port: a TCP socket in LISTEN state for network
// "tcp", "tcp4" or "tcp6", an unconnected UDP socket bound to the port for
// "udp", "udp4" or "udp6" (the unnumbered names take either IP version).
// It asks the kernel through sock_diag netlink in that namespace (or, where
// the kernel lacks inet_diag for the protocol, through the namespace's
// /proc/net tables), with a short backoff between looks, and fails the spec with a "cannot ..."
// message naming the port and the namespace when the timeout
// ([WithTimeout]) passes first.
func WaitListening(netnsfd int, network string, port int, opts ...WaitOpt) {
	GinkgoHelper()
	WaitListeningT(GinkgoTB(), netnsfd, network, port, opts...)
}

// WaitListeningT is [WaitListening] for plain testing users.
func WaitListeningT(t testing.TB, netnsfd int, network string, port int, opts ...WaitOpt) {
	t.Helper()
	if err := waitListening(netnsfd, nsops.Describe(netnsfd), network, port, nil, opts); err != nil {
		t.Fatalf("%v", err)
	}
}

// WaitListening waits as the function [WaitListening] does, in the
// process's namespace, and fails at once, with the process's status and
// output tail, when the process ends before anything listens.
func (p *Process) WaitListening(network string, port int, opts ...WaitOpt) {
	p.t.Helper()
	if err := waitListening(p.nsfd, p.where, network, port, p, opts); err != nil {
		p.t.Fatalf("%v", err)
	}
}

// WaitOutput waits until the kept standard output or standard error of the
// process matches the regular expression pattern, woken by each write. It
// fails the spec when the process ends without a match, or when the timeout
// ([WithTimeout]) passes first; the message holds the output tail. The
// pattern is matched against the last 64 KiB of each stream.
func (p *Process) WaitOutput(pattern string, opts ...WaitOpt) {
	p.t.Helper()
	if err := p.waitOutput(pattern, opts); err != nil {
		p.t.Fatalf("%v", err)
	}
}

func (p *Process) waitOutput(pattern string, opts []WaitOpt) error {
	what := fmt.Sprintf("output matching %q from %s in %s", pattern, p, p.where)
	o, err := waitOpts(opts)
	if err != nil {
		return fmt.Errorf("cannot wait for %s, reason: %v", what, err)
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return fmt.Errorf("cannot wait for %s, reason: %v", what, err)
	}
	if p.stdout == nil && p.stderr == nil {
		return fmt.Errorf("cannot wait for %s, reason: the caller took both output streams", what)
	}
	timer := time.NewTimer(o.timeout)
	defer timer.Stop()
	never := make(chan struct{})
	for {
		// Read the exit state first: output written before the end is
		// then seen by the look that follows.
		var exited bool
		select {
		case <-p.exited:
			exited = true
		default:
		}
		changes := [2]<-chan struct{}{never, never}
		for i, s := range []*tail{p.stdout, p.stderr} {
			if s == nil {
				continue
			}
			out, changed := s.next()
			if re.MatchString(out) {
				return nil
			}
			changes[i] = changed
		}
		if exited {
			p.finish()
			if re.MatchString(p.stdout.String()) || re.MatchString(p.stderr.String()) {
				return nil
			}
			return fmt.Errorf("cannot wait for %s, reason: it %s without such output%s", what, p.Status(), p.tails())
		}
		select {
		case <-changes[0]:
		case <-changes[1]:
		case <-p.exited:
		case <-timer.C:
			return fmt.Errorf("cannot wait for %s, reason: no match within %s%s", what, o.timeout, p.tails())
		}
	}
}

func waitOpts(opts []WaitOpt) (waitOptions, error) {
	o := waitOptions{timeout: DefaultWaitTimeout}
	for _, opt := range opts {
		if opt == nil {
			return o, errors.New("an option is nil")
		}
		if err := opt(&o); err != nil {
			return o, err
		}
	}
	return o, nil
}

func waitListening(nsfd int, where, network string, port int, p *Process, opts []WaitOpt) error {
	what := fmt.Sprintf("a %s listener on port %d in %s", network, port, where)
	if p != nil {
		what = fmt.Sprintf("%s to listen on %s port %d in %s", p, network, port, where)
	}
	o, err := waitOpts(opts)
	if err != nil {
		return fmt.Errorf("cannot wait for %s, reason: %v", what, err)
	}
	proto, families, err := parseNetwork(network)
	if err != nil {
		return fmt.Errorf("cannot wait for %s, reason: %v", what, err)
	}
	if port <= 0 || port > 65535 {
		return fmt.Errorf("cannot wait for %s, reason: port %d is out of range", what, port)
	}
	var h *netlink.Handle
	if derr := nsops.Run(nsfd, func() { h, err = netlink.NewHandle(unix.NETLINK_INET_DIAG) }); derr != nil {
		err = derr
	}
	if err != nil {
		return fmt.Errorf("cannot wait for %s, reason: cannot open a sock_diag socket there: %v", what, err)
	}
	defer h.Close()
	var exited <-chan struct{}
	if p != nil {
		exited = p.exited
	}
	deadline := time.Now().Add(o.timeout)
	backoff := time.Millisecond
	useProc := false
	for {
		var found bool
		if !useProc {
			found, err = listens(h, proto, families, uint16(port))
			// Without inet_diag for the protocol (a module not loaded,
			// which a user namespace cannot load) the kernel answers
			// ENOENT: the namespace's /proc/net tables tell the same.
			useProc = errors.Is(err, unix.ENOENT)
		}
		if useProc {
			if derr := nsops.Run(nsfd, func() { found, err = procListens(proto, families, uint16(port)) }); derr != nil {
				err = derr
			}
		}
		if err != nil {
			return fmt.Errorf("cannot wait for %s, reason: cannot list sockets: %v", what, err)
		}
		if found {
			return nil
		}
		select {
		case <-exited:
			p.finish()
			return fmt.Errorf("cannot wait for %s, reason: it %s before it listened%s", what, p.Status(), p.tails())
		default:
		}
		left := time.Until(deadline)
		if left <= 0 {
			reason := fmt.Sprintf("nothing listened within %s", o.timeout)
			if p != nil {
				reason += fmt.Sprintf("; the process %s%s", p.Status(), p.tails())
			}
			return fmt.Errorf("cannot wait for %s, reason: %s", what, reason)
		}
		// sock_diag sends no event when a socket starts listening: look
		// again soon, sooner at first, and at once when the process ends.
		timer := time.NewTimer(min(backoff, left))
		select {
		case <-timer.C:
		case <-exited:
		}
		timer.Stop()
		backoff = min(2*backoff, 50*time.Millisecond)
	}
}

// procListens is [listens] through /proc/thread-self/net, which shows the
// namespace of the calling thread; the caller holds it in the namespace.
func procListens(proto int, families []uint8, port uint16) (bool, error) {
	want := tcpListen
	table := "tcp"
	if proto == unix.IPPROTO_UDP {
		want, table = udpUnconn, "udp"
	}
	for _, family := range families {
		path := "/proc/thread-self/net/" + table
		if family == unix.AF_INET6 {
			path += "6"
		}
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) && family == unix.AF_INET6 {
			continue // a kernel without IPv6
		}
		if err != nil {
			return false, err
		}
		// "sl local_address rem_address st ...", addresses as hex
		// ADDR:PORT, the state in hex.
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 4 {
				continue
			}
			_, hexPort, ok := strings.Cut(f[1], ":")
			p, perr := strconv.ParseUint(hexPort, 16, 16)
			st, serr := strconv.ParseUint(f[3], 16, 8)
			if ok && perr == nil && serr == nil && uint16(p) == port && int(st) == want {
				return true, nil
			}
		}
	}
	return false, nil
}

func parseNetwork(network string) (proto int, families []uint8, err error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
		proto = unix.IPPROTO_TCP
	case "udp", "udp4", "udp6":
		proto = unix.IPPROTO_UDP
	default:
		return 0, nil, fmt.Errorf("network %q is none of tcp, tcp4, tcp6, udp, udp4, udp6", network)
	}
	switch network[len(network)-1] {
	case '4':
		families = []uint8{unix.AF_INET}
	case '6':
		families = []uint8{unix.AF_INET6}
	default:
		families = []uint8{unix.AF_INET, unix.AF_INET6}
	}
	return proto, families, nil
}

// listens reports whether a socket of proto and one of the families is
// listening on port, as the handle's namespace sees it.
func listens(h *netlink.Handle, proto int, families []uint8, port uint16) (bool, error) {
	for _, family := range families {
		var socks []*netlink.Socket
		var err error
		dump := h.SocketDiagTCP
		want := uint8(tcpListen)
		if proto == unix.IPPROTO_UDP {
			dump, want = h.SocketDiagUDP, udpUnconn
		}
		socks, err = nsops.RetryDump(func() ([]*netlink.Socket, error) { return dump(family) })
		if err != nil {
			return false, err
		}
		for _, s := range socks {
			if s.State == want && s.ID.SourcePort == port {
				return true, nil
			}
		}
	}
	return false, nil
}
