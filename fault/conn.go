package fault

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/firewall"
	"github.com/scratchnet/scratchnet/impair"
	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/lab"
)

// ConnOpt narrows a connection fault ([Reset], [Stall], [LimitData],
// [Slice]) to some of the host's TCP connections. Without options a fault
// hits all of them. Options are applied in order; a fault hits the
// connections that every kind of option given selects.
type ConnOpt func(*target) error

// target is what a connection fault's options select.
type target struct {
	port  uint16
	peers []peer
}

// peer is one peer that a connection fault is narrowed to: a name for the
// fault's description, and its addresses, found when the fault is applied.
type peer struct {
	name  string
	addrs func() ([]string, error)
}

// Port narrows a connection fault to the TCP connections whose port, on
// the host's end or the other, is port: a server's connections on its
// listening port, or a client's connections to servers of that port. A
// later Port replaces an earlier one.
func Port(port uint16) ConnOpt {
	return func(t *target) error {
		if port == 0 {
			return errors.New("Port(0): tcp port 0 matches nothing")
		}
		t.port = port
		return nil
	}
}

// Peer narrows a connection fault to the connections between the host and
// the lab host p, by every address the lab gave p's interfaces when the
// fault is applied. Several Peer and [PeerAddr] options add peers.
func Peer(p *lab.Host) ConnOpt {
	return func(t *target) error {
		if p == nil {
			return errors.New("Peer(nil): no host")
		}
		t.peers = append(t.peers, peer{name: p.Name, addrs: func() ([]string, error) {
			var out []string
			for _, i := range p.Ifaces() {
				for _, a := range []netip.Prefix{i.IPv4, i.IPv6} {
					if a.IsValid() {
						out = append(out, a.Addr().String())
					}
				}
			}
			if len(out) == 0 {
				return nil, fmt.Errorf("Peer(%q): the lab gave the host no address", p.Name)
			}
			return out, nil
		}})
		return nil
	}
}

// PeerAddr narrows a connection fault to the connections between the host
// and an address or prefix, such as "10.0.1.2" or "fd00::/64". Several
// [Peer] and PeerAddr options add peers.
func PeerAddr(cidr string) ConnOpt {
	return func(t *target) error {
		t.peers = append(t.peers, peer{name: cidr, addrs: func() ([]string, error) { return []string{cidr}, nil }})
		return nil
	}
}

// Reset resets the host's TCP connections at both ends: the first packet
// of an established connection that arrives or leaves becomes a TCP reset
// to its destination, and the next one, which its sender retransmits, is
// refused with a reset to the sender, so that both ends fail with
// "connection reset by peer" (ECONNRESET); new connections are refused
// (ECONNREFUSED). It is toxiproxy's reset_peer, in the kernel of the host,
// built on firewall.Cut. Heal lets new connections through again.
//
// Turning packets into resets rewrites them, which recent kernels refuse
// in a user namespace other than the initial one (the rootless sandbox):
// there Apply fails; see firewall.SkipUnlessSupported(firewall.Rewrite).
func Reset(h *lab.Host, opts ...ConnOpt) Fault {
	return &connFault{verb: "reset", host: h, opts: opts, rules: firewall.Cut}
}

// Stall stalls the host's TCP connections: every packet of them, arriving
// or leaving, is dropped, as by a peer that stopped answering. New
// connections time out; established ones carry nothing and retransmit until
// the fault heals (and then go on) or their own timeouts end them. It is
// toxiproxy's timeout toxic, with the timeout left to the code under test.
func Stall(h *lab.Host, opts ...ConnOpt) Fault {
	return &connFault{verb: "stall", host: h, opts: opts, rules: func(m ...firewall.Match) []firewall.Rule {
		return []firewall.Rule{firewall.Drop(m...)}
	}}
}

// LimitData cuts each of the host's TCP connections once it has carried
// more than bytes bytes, with TCP resets to both ends as [Reset] sends
// them (and, as Reset, not in a user namespace other than the initial
// one), as toxiproxy's limit_data does. The kernel's connection tracking counts: whole IP
// packets, headers included, both directions together, from when it first
// saw the connection (for a connection that was open before the fault was
// applied, from then on). So a transfer stops somewhat short of the limit,
// by the headers and the acknowledgements, and never beyond it.
//
// Connection tracking counts bytes only for connections it begins tracking
// after the namespace's sysctl net.netfilter.nf_conntrack_acct is on, which
// the fault turns on; the last of the host's LimitData faults to heal turns
// it off again if it was off. Connections that the host's connection
// tracking followed before the fault (for NAT or stateful rules of its own)
// are not cut.
func LimitData(h *lab.Host, bytes uint64, opts ...ConnOpt) Fault {
	f := &connFault{verb: "limit", host: h, opts: opts, acct: true, rules: func(m ...firewall.Match) []firewall.Rule {
		return firewall.Cut(append(m, firewall.ConnBytesOver(bytes))...)
	}}
	f.suffix = fmt.Sprintf(" to %d bytes per connection", bytes)
	return f
}

// Slice makes the host's new TCP connections carry segments of at most
// size bytes of data, both ways: the maximum segment size that their
// handshakes announce is clamped to size (it is never raised). Connections
// set up before the fault keep their segment size. It is toxiproxy's
// slicer, without its delay between the slices.
func Slice(h *lab.Host, size uint16, opts ...ConnOpt) Fault {
	f := &connFault{verb: "slice", host: h, opts: opts, rules: func(m ...firewall.Match) []firewall.Rule {
		return []firewall.Rule{firewall.ClampMSS(size, m...)}
	}}
	f.suffix = fmt.Sprintf(" into segments of %d bytes", size)
	return f
}

// connFault is a connection fault made of nftables rules, in a table of its
// own in the host's namespace while it is applied.
type connFault struct {
	verb   string
	suffix string
	host   *lab.Host
	opts   []ConnOpt
	// rules makes the fault's rules for packets that match.
	rules func(...firewall.Match) []firewall.Rule
	// acct marks a fault whose rules turn on connection tracking's byte
	// counting, which Heal turns off again if it was off.
	acct bool

	mu sync.Mutex
	// nsfd is the fault's own reference to the host's namespace while
	// applied.
	nsfd    int
	applied bool
	table   string
}

// String describes the fault, such as "reset tcp :8080 on server".
func (f *connFault) String() string {
	return f.verb + " " + describeTarget(f.host, f.opts) + f.suffix
}

// describeTarget says which connections of which host the options select,
// such as "tcp :8080 with client on server".
func describeTarget(h *lab.Host, opts []ConnOpt) string {
	var t target
	for _, o := range opts {
		if o != nil {
			_ = o(&t)
		}
	}
	s := "tcp"
	if t.port != 0 {
		s += fmt.Sprintf(" :%d", t.port)
	}
	if len(t.peers) > 0 {
		names := make([]string, 0, len(t.peers))
		for _, p := range t.peers {
			names = append(names, p.name)
		}
		s += " with " + strings.Join(names, ", ")
	}
	name := "no host"
	if h != nil {
		name = h.Name
	}
	return s + " on " + name
}

// Apply adds the fault's nftables table to the host's namespace. Applying
// a fault that is applied does nothing.
func (f *connFault) Apply() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.applied {
		return nil
	}
	if err := f.apply(); err != nil {
		return fmt.Errorf("cannot apply %s, reason: %v", f, err)
	}
	return nil
}

func (f *connFault) apply() error {
	if f.host == nil {
		return errors.New("no host given")
	}
	rules, err := f.allRules()
	if err != nil {
		return err
	}
	nsfd, err := nsops.Dup(f.host.Netns())
	if err != nil {
		return fmt.Errorf("the host's namespace is gone: %v", err)
	}
	if f.acct {
		if err := acctHold(nsfd); err != nil {
			unix.Close(nsfd)
			return err
		}
	}
	table, err := firewall.Make(nsfd, rules...)
	if err != nil {
		if f.acct {
			err = errors.Join(err, acctRelease(nsfd))
		}
		unix.Close(nsfd)
		return err
	}
	f.nsfd, f.table, f.applied = nsfd, table, true
	return nil
}

// allRules returns the fault's rules: those for each port match and
// address match, each applied to what the host receives, routes and sends.
func (f *connFault) allRules() ([]firewall.Rule, error) {
	var t target
	for n, o := range f.opts {
		if o == nil {
			return nil, fmt.Errorf("option %d is nil", n+1)
		}
		if err := o(&t); err != nil {
			return nil, err
		}
	}
	ports := []firewall.Match{firewall.AnyTCP()}
	if t.port != 0 {
		ports = []firewall.Match{firewall.TCP(t.port), firewall.TCPSourcePort(t.port)}
	}
	addrs := [][]firewall.Match{nil}
	if len(t.peers) > 0 {
		addrs = nil
		for _, p := range t.peers {
			as, err := p.addrs()
			if err != nil {
				return nil, err
			}
			for _, a := range as {
				addrs = append(addrs, []firewall.Match{firewall.From(a)}, []firewall.Match{firewall.To(a)})
			}
		}
	}
	var rules []firewall.Rule
	for _, pm := range ports {
		for _, am := range addrs {
			for _, r := range f.rules(append(append([]firewall.Match{}, am...), pm)...) {
				rules = append(rules, r.AlsoOutgoing())
			}
		}
	}
	return rules, nil
}

// Heal deletes the fault's table, and turns connection tracking's byte
// counting off again where the fault turned it on. Healing a fault that is
// not applied does nothing.
func (f *connFault) Heal() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.applied {
		return nil
	}
	err := firewall.Remove(f.nsfd, f.table)
	if err == nil && f.acct {
		err = acctRelease(f.nsfd)
	}
	if err != nil {
		return fmt.Errorf("cannot heal %s, reason: %v", f, err)
	}
	unix.Close(f.nsfd)
	f.nsfd, f.table, f.applied = -1, "", false
	return nil
}

// acctHolds counts, by namespace inode, the applied faults that need
// connection tracking's byte counting, and remembers whether it was off
// before the first of them: the last one to heal turns it off again.
var (
	acctMu    sync.Mutex
	acctHolds = map[uint64]*acctHolders{}
)

type acctHolders struct {
	n      int
	wasOff bool
}

// acctHold registers a fault that needs byte counting in the namespace.
func acctHold(nsfd int) error {
	ino, err := nsops.Ino(nsfd)
	if err != nil {
		return err
	}
	acctMu.Lock()
	defer acctMu.Unlock()
	if h, ok := acctHolds[ino]; ok {
		h.n++
		return nil
	}
	v, err := readAcct(nsfd)
	if err != nil {
		return err
	}
	acctHolds[ino] = &acctHolders{n: 1, wasOff: v == "0"}
	return nil
}

// acctRelease unregisters a fault that needed byte counting, and turns it
// off if it was off before and no other fault needs it.
func acctRelease(nsfd int) error {
	ino, err := nsops.Ino(nsfd)
	if err != nil {
		return err
	}
	acctMu.Lock()
	defer acctMu.Unlock()
	h, ok := acctHolds[ino]
	if !ok {
		return nil
	}
	if h.n--; h.n > 0 {
		return nil
	}
	delete(acctHolds, ino)
	if h.wasOff {
		return writeAcct(nsfd, "0")
	}
	return nil
}

// acctPath is connection tracking's byte counting switch; /proc/sys/net
// shows the namespace of the thread that opens it.
const acctPath = "/proc/sys/net/netfilter/nf_conntrack_acct"

func readAcct(nsfd int) (string, error) {
	var v string
	err := inNamespace(nsfd, func() error {
		b, err := os.ReadFile(acctPath)
		v = strings.TrimSpace(string(b))
		return err
	})
	if errors.Is(err, unix.ENOENT) {
		// Without connection tracking loaded yet, the switch is not
		// there; the kernel makes it off, as the rules load it.
		return "0", nil
	}
	if err != nil {
		return "", fmt.Errorf("cannot read %s in %s, reason: %v", acctPath, nsops.Describe(nsfd), err)
	}
	return v, nil
}

func writeAcct(nsfd int, v string) error {
	err := inNamespace(nsfd, func() error { return os.WriteFile(acctPath, []byte(v), 0) })
	if err != nil {
		return fmt.Errorf("cannot write %q to %s in %s, reason: %v", v, acctPath, nsops.Describe(nsfd), err)
	}
	return nil
}

// inNamespace runs fn with the calling thread in the namespace nsfd refers
// to, and returns fn's error or the switch's.
func inNamespace(nsfd int, fn func() error) error {
	var ferr error
	if err := nsops.Do(nsfd, func() { ferr = fn() }); err != nil {
		return err
	}
	return ferr
}

// ImpairPort impairs, as opts of package impair say (such as
// impair.Delay(50*time.Millisecond) or impair.Rate(1_000_000)), only the
// TCP segments that the host sends from or to port, on every interface of
// its namespace but lo when the fault is applied: toxiproxy's latency and
// bandwidth toxics for one port. Round trips of the port's connections grow
// by a delay once (only what the host sends is delayed); a rate limits
// what the host sends on them (impair the peer too to limit both ways).
// Other ports are left alone. Each interface gets an htb root queueing
// discipline with a class for the port (see impair.AddPort); an interface
// with a root queueing discipline of its own (such as lab's Iface.Impair
// puts there) makes Apply fail. netem options need sch_netem (see
// impair.SkipUnlessSupported).
func ImpairPort(h *lab.Host, port uint16, opts ...impair.Opt) Fault {
	return &portFault{host: h, port: port, opts: opts}
}

// portFault is an [ImpairPort] fault.
type portFault struct {
	host *lab.Host
	port uint16
	opts []impair.Opt

	mu      sync.Mutex
	nsfd    int
	applied bool
	links   []int
}

// String describes the fault, such as "impair tcp :8080 on server with
// tbf rate 1Mbit burst 6056B".
func (f *portFault) String() string {
	name := "no host"
	if f.host != nil {
		name = f.host.Name
	}
	s := fmt.Sprintf("impair tcp :%d on %s", f.port, name)
	if desc, err := impair.Summary(f.opts...); err == nil && desc != "" {
		s += " with " + desc
	}
	return s
}

// Apply impairs the port on every interface of the host's namespace but
// lo. Applying a fault that is applied does nothing.
func (f *portFault) Apply() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.applied {
		return nil
	}
	if err := f.apply(); err != nil {
		return fmt.Errorf("cannot apply %s, reason: %v", f, err)
	}
	return nil
}

func (f *portFault) apply() error {
	if f.host == nil {
		return errors.New("no host given")
	}
	nsfd, err := nsops.Dup(f.host.Netns())
	if err != nil {
		return fmt.Errorf("the host's namespace is gone: %v", err)
	}
	links, err := interfaces(nsfd)
	var done []int
	for _, index := range links {
		if err != nil {
			break
		}
		if _, err = impair.AddPort(nsfd, index, f.port, f.opts...); err == nil {
			done = append(done, index)
		}
	}
	if err != nil {
		for _, index := range done {
			err = errors.Join(err, impair.RemovePort(nsfd, index))
		}
		unix.Close(nsfd)
		return err
	}
	f.nsfd, f.links, f.applied = nsfd, done, true
	return nil
}

// interfaces lists the indexes of the namespace's links but loopback.
func interfaces(nsfd int) ([]int, error) {
	h, err := nsops.RouteHandleAt(nsfd)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	links, err := nsops.RetryDump(h.LinkList)
	if err != nil {
		return nil, fmt.Errorf("cannot list links of %s, reason: %v", nsops.Describe(nsfd), err)
	}
	var out []int
	for _, l := range links {
		if l.Attrs().Flags&net.FlagLoopback == 0 {
			out = append(out, l.Attrs().Index)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s has no interface but lo", nsops.Describe(nsfd))
	}
	return out, nil
}

// Heal removes the port's impairment from every interface it was put on:
// they get the kernel's default queueing discipline back. Healing a fault
// that is not applied does nothing.
func (f *portFault) Heal() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.applied {
		return nil
	}
	var err error
	for _, index := range f.links {
		err = errors.Join(err, impair.RemovePort(f.nsfd, index))
	}
	if err != nil {
		return fmt.Errorf("cannot heal %s, reason: %v", f, err)
	}
	unix.Close(f.nsfd)
	f.nsfd, f.links, f.applied = -1, nil, false
	return nil
}
