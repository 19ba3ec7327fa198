package reach

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// Outcome is what became of one attempt to reach an address.
type Outcome int

// The outcomes of an attempt.
const (
	// Reached: an echo reply, an accepted connection, a UDP response.
	Reached Outcome = iota
	// TimedOut: no answer within the timeout, as when a firewall drops
	// packets or the path loses them.
	TimedOut
	// Refused: a TCP reset or an ICMP port unreachable, as from a closed
	// port or a reject rule.
	Refused
	// NoRoute: the source has no route to the address.
	NoRoute
	// Unreachable: an ICMP destination unreachable other than for the
	// port, such as "host unreachable" from a router, or a neighbour
	// that does not answer address resolution.
	Unreachable
)

func (o Outcome) String() string {
	switch o {
	case Reached:
		return "reached"
	case TimedOut:
		return "timed out"
	case Refused:
		return "refused"
	case NoRoute:
		return "no route"
	case Unreachable:
		return "unreachable"
	}
	return fmt.Sprintf("outcome %d", int(o))
}

// Result is one attempt from a namespace to one address.
type Result struct {
	// To is the address tried.
	To netip.Addr
	// Outcome says what happened; Detail says more where there is more,
	// such as which router sent an ICMP error.
	Outcome Outcome
	Detail  string
	// Took is how long the attempt took until its outcome.
	Took time.Duration
}

func (r Result) String() string {
	s := fmt.Sprintf("%s: %s after %v", r.To, r.Outcome, r.Took.Round(10*time.Microsecond))
	if r.Detail != "" {
		s += " (" + r.Detail + ")"
	}
	return s
}

// try makes one attempt from the namespace nsfd to addr.
func (p *probe) try(nsfd int, addr netip.Addr) (Result, error) {
	start := time.Now()
	var res Result
	var err error
	switch p.proto {
	case "tcp":
		res, err = p.tryTCP(nsfd, addr)
	case "udp":
		res, err = p.tryUDP(nsfd, addr)
	default:
		res, err = p.tryICMP(nsfd, addr)
	}
	res.To = addr
	res.Took = time.Since(start)
	return res, err
}

func (p *probe) tryTCP(nsfd int, addr netip.Addr) (Result, error) {
	var dialErr error
	err := nsops.Run(nsfd, func() {
		// The socket is made on this thread, in the namespace; the
		// connect then waits wherever the runtime likes.
		var conn net.Conn
		conn, dialErr = net.DialTimeout("tcp", netip.AddrPortFrom(addr, p.port).String(), p.timeout)
		if dialErr == nil {
			conn.Close()
		}
	})
	if err != nil {
		return Result{}, err
	}
	return classify(dialErr), nil
}

func (p *probe) tryUDP(nsfd int, addr netip.Addr) (Result, error) {
	var conn net.Conn
	var dialErr error
	if err := nsops.Run(nsfd, func() {
		conn, dialErr = net.Dial("udp", netip.AddrPortFrom(addr, p.port).String())
	}); err != nil {
		return Result{}, err
	}
	if dialErr != nil {
		return classify(dialErr), nil
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(p.timeout))
	if _, err := conn.Write(p.payload); err != nil {
		return classify(err), nil
	}
	_, err := conn.Read(make([]byte, 65536))
	return classify(err), nil
}

// classify turns a socket error into an outcome.
func classify(err error) Result {
	var ne net.Error
	switch {
	case err == nil:
		return Result{Outcome: Reached}
	case errors.As(err, &ne) && ne.Timeout():
		return Result{Outcome: TimedOut}
	case errors.Is(err, syscall.ECONNREFUSED):
		return Result{Outcome: Refused, Detail: "connection refused"}
	case errors.Is(err, syscall.ENETUNREACH):
		return Result{Outcome: NoRoute, Detail: "network is unreachable"}
	case errors.Is(err, syscall.EHOSTUNREACH):
		return Result{Outcome: Unreachable, Detail: "no route to host"}
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		// A local reject rule or prohibit route refuses the packet.
		return Result{Outcome: Unreachable, Detail: err.Error()}
	}
	return Result{Outcome: Unreachable, Detail: err.Error()}
}

// ICMP types and codes this file looks at.
const (
	echoRequest4, echoReply4, unreachable4, timeExceeded4 = 8, 0, 3, 11
	echoRequest6, echoReply6, unreachable6, timeExceeded6 = 128, 129, 1, 3
)

// tryICMP sends one echo request through a raw socket made in the namespace
// (root or, in a rootless sandbox, root of the namespace's user namespace
// may) and waits for its reply, or for an ICMP error about it.
func (p *probe) tryICMP(nsfd int, addr netip.Addr) (Result, error) {
	network, listen, request := "ip4:icmp", "0.0.0.0", byte(echoRequest4)
	if addr.Is6() {
		network, listen, request = "ip6:ipv6-icmp", "::", echoRequest6
	}
	var conn net.PacketConn
	var listenErr error
	if err := nsops.Run(nsfd, func() { conn, listenErr = net.ListenPacket(network, listen) }); err != nil {
		return Result{}, err
	}
	if listenErr != nil {
		return Result{}, fmt.Errorf("cannot open raw ICMP socket, reason: %w", listenErr)
	}
	defer conn.Close()

	var idb [4]byte
	_, _ = rand.Read(idb[:])
	id, seq := binary.BigEndian.Uint16(idb[:2]), binary.BigEndian.Uint16(idb[2:])
	msg := make([]byte, 8, 8+len(p.payload))
	msg[0] = request
	binary.BigEndian.PutUint16(msg[4:], id)
	binary.BigEndian.PutUint16(msg[6:], seq)
	msg = append(msg, p.payload...)
	if addr.Is4() {
		// The kernel fills in ICMPv6 checksums, not ICMPv4 ones.
		binary.BigEndian.PutUint16(msg[2:], checksum(msg))
	}
	deadline := time.Now().Add(p.timeout)
	_ = conn.SetDeadline(deadline)
	if _, err := conn.WriteTo(msg, &net.IPAddr{IP: addr.AsSlice()}); err != nil {
		return classify(err), nil
	}
	buf := make([]byte, 1500)
	for {
		n, from, err := conn.ReadFrom(buf)
		if err != nil {
			return classify(err), nil
		}
		if res, ok := answer(buf[:n], from, addr, id, seq); ok {
			return res, nil
		}
	}
}

// answer tells whether the ICMP message b from from answers the echo request
// (id, seq) to addr, and how.
func answer(b []byte, from net.Addr, addr netip.Addr, id, seq uint16) (Result, bool) {
	if len(b) < 8 {
		return Result{}, false
	}
	sender, _ := netip.AddrFromSlice(from.(*net.IPAddr).IP)
	sender = sender.Unmap()
	ours := func(echo []byte) bool {
		return len(echo) >= 8 && binary.BigEndian.Uint16(echo[4:]) == id && binary.BigEndian.Uint16(echo[6:]) == seq
	}
	if addr.Is4() {
		switch b[0] {
		case echoReply4:
			return Result{Outcome: Reached}, sender == addr && ours(b)
		case unreachable4, timeExceeded4:
			if len(b) < 8+20 {
				return Result{}, false
			}
			inner := b[8:]
			ihl := int(inner[0]&0x0f) * 4
			if len(inner) < ihl+8 || inner[9] != 1 || !ours(inner[ihl:]) {
				return Result{}, false
			}
			return icmpError(b[0] == timeExceeded4, b[1], sender, codes4), true
		}
		return Result{}, false
	}
	switch b[0] {
	case echoReply6:
		return Result{Outcome: Reached}, sender == addr && ours(b)
	case unreachable6, timeExceeded6:
		if len(b) < 8+40+8 || b[8+6] != 58 || !ours(b[8+40:]) {
			return Result{}, false
		}
		return icmpError(b[0] == timeExceeded6, b[1], sender, codes6), true
	}
	return Result{}, false
}

var codes4 = map[byte]string{0: "network unreachable", 1: "host unreachable", 2: "protocol unreachable",
	3: "port unreachable", 9: "network prohibited", 10: "host prohibited", 13: "administratively prohibited"}

var codes6 = map[byte]string{0: "no route to destination", 1: "administratively prohibited",
	3: "address unreachable", 4: "port unreachable", 5: "source address failed policy", 6: "reject route"}

func icmpError(exceeded bool, code byte, sender netip.Addr, codes map[byte]string) Result {
	if exceeded {
		return Result{Outcome: Unreachable, Detail: "ICMP time exceeded from " + sender.String()}
	}
	what, ok := codes[code]
	if !ok {
		what = fmt.Sprintf("code %d", code)
	}
	out := Unreachable
	if strings.HasPrefix(what, "port") {
		out = Refused
	}
	return Result{Outcome: out, Detail: "ICMP " + what + " from " + sender.String()}
}

func checksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// routeTo describes the namespace's route to addr, as "ip route get" would.
func routeTo(nsfd int, addr netip.Addr) string {
	h, err := nsops.RouteHandleAt(nsfd)
	if err != nil {
		return "cannot tell, reason: " + err.Error()
	}
	defer h.Close()
	routes, err := h.RouteGet(addr.AsSlice())
	if err != nil {
		return "none (" + err.Error() + ")"
	}
	var parts []string
	for _, r := range routes {
		s := addr.String()
		if r.Gw != nil {
			s += " via " + r.Gw.String()
		}
		if r.LinkIndex > 0 {
			name := fmt.Sprintf("if%d", r.LinkIndex)
			if l, err := h.LinkByIndex(r.LinkIndex); err == nil {
				name = l.Attrs().Name
			}
			s += " dev " + name
		}
		if r.Src != nil {
			s += " src " + r.Src.String()
		}
		switch r.Type {
		case unix.RTN_BLACKHOLE:
			s += " (blackhole)"
		case unix.RTN_UNREACHABLE:
			s += " (unreachable)"
		case unix.RTN_PROHIBIT:
			s += " (prohibit)"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}
