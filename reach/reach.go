package reach

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/onsi/gomega/types"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// Opt says how to try to reach an address; the last option of a kind wins.
type Opt func(*probe) error

type probe struct {
	proto   string // "icmp", "tcp" or "udp"
	port    uint16
	payload []byte
	timeout time.Duration
	family  int // 4, 6, or 0: IPv4 where the target has IPv4 addresses
}

// DefaultTimeout bounds each attempt unless [Within] says otherwise.
const DefaultTimeout = time.Second

// ICMP tries an ICMP (or ICMPv6) echo request and waits for its reply; it is
// what Reach does without options. It needs a raw socket, which root (or
// root of the namespace's user namespace, as in the rootless sandbox) may
// open.
func ICMP() Opt { return func(p *probe) error { p.proto = "icmp"; return nil } }

// TCP tries to connect to this port; an accepted connection is closed at
// once.
func TCP(port uint16) Opt {
	return func(p *probe) error {
		if port == 0 {
			return errors.New("TCP(0): no server listens on port 0")
		}
		p.proto, p.port = "tcp", port
		return nil
	}
}

// UDP sends a datagram to this port and waits for any datagram in return
// (a UDP server of the test's must answer); ICMP port unreachable means
// refused.
func UDP(port uint16) Opt {
	return func(p *probe) error {
		if port == 0 {
			return errors.New("UDP(0): no server listens on port 0")
		}
		p.proto, p.port = "udp", port
		return nil
	}
}

// Payload is what a [UDP] probe sends, and what an [ICMP] echo carries;
// "scratchnet" without it.
func Payload(b []byte) Opt {
	return func(p *probe) error {
		if len(b) > 1400 {
			return fmt.Errorf("Payload(%d bytes): they do not fit an unfragmented packet of a 1500-byte MTU", len(b))
		}
		p.payload = b
		return nil
	}
}

// Within bounds each attempt: a probe without answer by then timed out.
func Within(d time.Duration) Opt {
	return func(p *probe) error {
		if d <= 0 {
			return fmt.Errorf("Within(%v): a timeout must be positive", d)
		}
		p.timeout = d
		return nil
	}
}

// IPv4 tries the target's IPv4 addresses only (the default for a target that
// has any).
func IPv4() Opt { return func(p *probe) error { p.family = 4; return nil } }

// IPv6 tries the target's IPv6 addresses only.
func IPv6() Opt { return func(p *probe) error { p.family = 6; return nil } }

func (p *probe) String() string {
	switch p.proto {
	case "tcp":
		return fmt.Sprintf("by TCP port %d", p.port)
	case "udp":
		return fmt.Sprintf("by UDP port %d", p.port)
	}
	return "by ICMP echo"
}

// Namespaced is a source or target that lives in a network namespace, such
// as a lab host: Netns returns an fd referring to it, owned by the value.
type Namespaced interface{ Netns() int }

// Target is a destination with addresses of its own, such as a lab host or
// interface: TargetAddrs returns them.
type Target interface{ TargetAddrs() []netip.Addr }

// Reach succeeds when the actual value, a network namespace fd or a
// [Namespaced] value such as a lab host, reaches dst: an address ("10.0.2.2",
// "fd00::2", a netip.Addr or net.IP) or a [Target] such as a lab host (any of
// its addresses of the probe's family). It tries an ICMP echo unless [TCP] or
// [UDP] say otherwise, once per Match call for each address, each attempt
// bounded by [DefaultTimeout] or [Within]; so it is made for Eventually and
// Consistently as much as for Expect:
//
//	Expect(alice).To(lab.Reach(bob))
//	Eventually(alice).Should(reach.Reach("10.0.2.2", reach.TCP(80)))
//	Expect(ns).NotTo(reach.Reach(bob, reach.UDP(53), reach.Within(200*time.Millisecond)))
//
// A failure says what was tried from where, what became of it (timed out,
// refused, no route, unreachable, with the ICMP sender), and the source's
// route to each address.
func Reach(dst any, opts ...Opt) types.GomegaMatcher {
	return &matcher{dst: dst, opts: opts}
}

// Try makes one attempt from src to each of dst's addresses, as [Reach]
// does, and returns the results, for a spec that looks at the outcome
// itself (a dropped port times out, a rejected one is refused at once). The
// error says why no attempt could be made.
func Try(src, dst any, opts ...Opt) ([]Result, error) {
	a, err := newAttempt(src, dst, opts)
	if err != nil {
		return nil, err
	}
	return a.run()
}

type matcher struct {
	dst  any
	opts []Opt
	last *attempt
}

func (m *matcher) Match(actual any) (bool, error) {
	a, err := newAttempt(actual, m.dst, m.opts)
	if err != nil {
		return false, err
	}
	if _, err := a.run(); err != nil {
		return false, err
	}
	m.last = a
	return a.reached(), nil
}

func (m *matcher) FailureMessage(any) string {
	return m.last.explain(fmt.Sprintf("expected %s to reach %s", m.last.src, m.last.target), false)
}

func (m *matcher) NegatedFailureMessage(any) string {
	return m.last.explain(fmt.Sprintf("expected %s not to reach %s", m.last.src, m.last.target), true)
}

// attempt is one round of tries from a source to a target.
type attempt struct {
	nsfd    int
	src     string
	target  string
	addrs   []netip.Addr
	probe   *probe
	results []Result
}

func newAttempt(src, dst any, opts []Opt) (*attempt, error) {
	p := &probe{proto: "icmp", timeout: DefaultTimeout, payload: []byte("scratchnet")}
	for n, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("cannot try to reach %v, reason: option %d is nil", dst, n+1)
		}
		if err := opt(p); err != nil {
			return nil, fmt.Errorf("cannot try to reach %v, reason: %w", dst, err)
		}
	}
	a := &attempt{probe: p}
	switch s := src.(type) {
	case int:
		a.nsfd, a.src = s, nsops.Describe(s)
	case Namespaced:
		a.nsfd, a.src = s.Netns(), name(s, "")
		if a.src == "" {
			a.src = nsops.Describe(a.nsfd)
		}
	default:
		return nil, fmt.Errorf("cannot try to reach %v, reason: the source must be a network namespace fd or have a Netns() method, such as a lab host, not %T", dst, src)
	}
	addrs, target, err := addresses(dst)
	if err != nil {
		return nil, fmt.Errorf("cannot try to reach %v from %s, reason: %w", dst, a.src, err)
	}
	a.addrs = pick(addrs, p.family)
	if len(a.addrs) == 0 {
		return nil, fmt.Errorf("cannot try to reach %s from %s, reason: it has no address of the family asked for (it has %v)", target, a.src, addrs)
	}
	a.target = target + " " + p.String()
	return a, nil
}

func name(v any, fallback string) string {
	if s, ok := v.(fmt.Stringer); ok {
		return s.String()
	}
	return fallback
}

func addresses(dst any) ([]netip.Addr, string, error) {
	switch d := dst.(type) {
	case string:
		a, err := netip.ParseAddr(d)
		if err != nil {
			return nil, "", fmt.Errorf("%q is not an IP address", d)
		}
		return []netip.Addr{a.Unmap()}, a.Unmap().String(), nil
	case netip.Addr:
		return []netip.Addr{d.Unmap()}, d.Unmap().String(), nil
	case net.IP:
		a, ok := netip.AddrFromSlice(d)
		if !ok {
			return nil, "", fmt.Errorf("%v is not an IP address", d)
		}
		return []netip.Addr{a.Unmap()}, a.Unmap().String(), nil
	case Target:
		addrs := d.TargetAddrs()
		strs := make([]string, len(addrs))
		for i, a := range addrs {
			strs[i] = a.String()
		}
		return addrs, name(d, fmt.Sprintf("%T", d)) + " (" + strings.Join(strs, ", ") + ")", nil
	}
	return nil, "", fmt.Errorf("the destination must be an IP address or have a TargetAddrs() method, such as a lab host, not %T", dst)
}

// pick returns the addresses of the family; family 0 means IPv4 if there is
// any, else IPv6.
func pick(addrs []netip.Addr, family int) []netip.Addr {
	if family == 0 {
		family = 6
		for _, a := range addrs {
			if a.Is4() {
				family = 4
			}
		}
	}
	var out []netip.Addr
	for _, a := range addrs {
		if (family == 4) == a.Is4() {
			out = append(out, a)
		}
	}
	return out
}

func (a *attempt) run() ([]Result, error) {
	a.results = a.results[:0]
	for _, addr := range a.addrs {
		res, err := a.probe.try(a.nsfd, addr)
		if err != nil {
			return nil, fmt.Errorf("cannot try to reach %s from %s, reason: %w", addr, a.src, err)
		}
		a.results = append(a.results, res)
	}
	return a.results, nil
}

func (a *attempt) reached() bool {
	for _, r := range a.results {
		if r.Outcome == Reached {
			return true
		}
	}
	return false
}

// explain is a failure message: what was expected, what each try found,
// and the source's route to each address.
func (a *attempt) explain(expected string, negated bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (each try within %v), but:\n", expected, a.probe.timeout)
	for _, r := range a.results {
		if negated && r.Outcome != Reached {
			continue
		}
		fmt.Fprintf(&b, "  %s\n", r)
		fmt.Fprintf(&b, "    route from %s: %s\n", a.src, routeTo(a.nsfd, r.To))
	}
	return b.String()
}
