package lab

import (
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/capture"
	"github.com/scratchnet/scratchnet/internal/diag"
	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/internal/scope"
)

// Lab is one topology: its hosts, wires and segments. Build it within one
// test node; it is torn down when that node's cleanup runs.
type Lab struct {
	t  testing.TB
	sc *scope.Scope

	mu       sync.Mutex
	hosts    map[string]*Host
	nsfds    []int
	closing  []func() // tell the scope each namespace is about to close
	nextNet  int
	closed   bool
	segments map[string]*Segment
	// wires and notes are what the diagram shows besides hosts and
	// segments (diagram.go).
	wires []wire
	notes map[any][]string
	// capturing is set once Capture was called; captures holds the
	// capture of each captured interface (capture.go).
	capturing   bool
	captureOpts []capture.Opt
	captures    map[*Iface]*capture.Capture
	// inFull are the hosts ReportInFull named (report.go).
	inFull map[*Host]bool
}

// New returns an empty lab whose namespaces are closed when the current
// node's cleanup runs.
func New() *Lab {
	GinkgoHelper()
	return NewT(GinkgoTB())
}

// NewT is [New] for plain testing users; the lab is torn down through
// t.Cleanup. Methods of the returned lab report failures to t.
func NewT(t testing.TB) *Lab {
	t.Helper()
	sc := scope.Of(t)
	l := &Lab{t: t, sc: sc, hosts: map[string]*Host{}, segments: map[string]*Segment{},
		notes: map[any][]string{}, captures: map[*Iface]*capture.Capture{}, inFull: map[*Host]bool{}}
	sc.Cleanup(t, l.teardown)
	diag.Watch(t, sc, "scratchnet lab", diag.Caller(), l.targets)
	return l
}

// teardown closes every namespace of the lab; the kernel then removes their
// interfaces, addresses and routes in one batch per namespace.
func (l *Lab) teardown() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	for _, h := range l.hosts {
		h.closeHandle()
	}
	for _, c := range l.closing {
		c()
	}
	for _, fd := range l.nsfds {
		unix.Close(fd)
	}
	l.nsfds, l.closing = nil, nil
}

// targets lists the lab's namespaces for a failure report, hosts first;
// see [Lab.ReportInFull] for what a big lab's report holds.
func (l *Lab) targets() []diag.Target {
	msg := ""
	if _, ok := l.t.(*GinkgoTBWrapper); ok {
		msg = CurrentSpecReport().Failure.Message
	}
	return l.report(msg)
}

// nsRole is what a namespace of the lab is for, which decides its knobs.
type nsRole int

const (
	hostNs   nsRole = iota
	routerNs        // forwards IPv4 and IPv6 packets
	// segmentNs holds a bridge and its ports, which carry no addresses of
	// their own: IPv6 is off for its links, so that a port costs the
	// kernel no link-local address, routes, multicast reports and router
	// solicitations, work that grows with the number of ports before it.
	segmentNs
)

// newNetns creates a namespace owned by the lab, named label in messages
// until the lab is torn down, with the knobs of its role.
func (l *Lab) newNetns(what, label string, role nsRole) int {
	l.t.Helper()
	fd, err := unshareNs(role)
	if err != nil {
		l.t.Fatalf("cannot create network namespace for %s, reason: %v", what, err)
	}
	l.adopt(fd, label)
	return fd
}

// unshareNs creates a namespace with the knobs of its role, as
// [nsops.UnshareForTest] does: on an error wrapping nsops.ErrRestore, the
// calling goroutine must end.
func unshareNs(role nsRole) (int, error) {
	// Link-local IPv6 addresses are tentative for about a second after a
	// link comes up (duplicate address detection), and a router cannot
	// resolve the next hop of a forwarded packet without one: turn DAD off
	// in the lab's namespaces, where no address can be duplicated anyway.
	// /proc/sys/net shows the namespace of the thread that opens it.
	return nsops.UnshareForTest(func() error {
		// The kernel keeps the /proc/sys/net/ipv6 directory of every
		// namespace under one name in one list, which each path through
		// it walks: the directory is opened once, and the knobs below it.
		dir, err := unix.Open("/proc/sys/net/ipv6", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("cannot open /proc/sys/net/ipv6, reason: %w", err)
		}
		defer unix.Close(dir)
		for _, knob := range []string{"default", "all"} {
			if err := writeSysctlAt(dir, "conf/"+knob+"/accept_dad", "0"); err != nil {
				return fmt.Errorf("cannot turn off IPv6 duplicate address detection, reason: %w", err)
			}
		}
		if role != segmentNs {
			// A host sends router solicitations from each interface once
			// it is up, again and again with backoff (router_solicitations
			// = -1: until a router answers), to the all-routers group:
			// a segment's bridge, which has no multicast querier, floods
			// each to every port, and every other member's kernel takes
			// and drops it, so that the k-th attach costs the segment k
			// deliveries. Labs have no router advertisements unless a
			// user runs a daemon, whose unsolicited advertisements still
			// configure hosts; links made later in the namespace inherit
			// the default as well.
			if err := writeSysctlAt(dir, "conf/default/router_solicitations", "0"); err != nil {
				return fmt.Errorf("cannot turn off IPv6 router solicitations, reason: %w", err)
			}
		}
		switch role {
		case routerNs:
			if err := writeSysctlAt(unix.AT_FDCWD, "/proc/sys/net/ipv4/ip_forward", "1"); err != nil {
				return fmt.Errorf("cannot enable forwarding, reason: %w", err)
			}
			if err := writeSysctlAt(dir, "conf/all/forwarding", "1"); err != nil {
				return fmt.Errorf("cannot enable forwarding, reason: %w", err)
			}
		case segmentNs:
			if err := writeSysctlAt(dir, "conf/default/disable_ipv6", "1"); err != nil {
				return fmt.Errorf("cannot turn off IPv6 for new links, reason: %w", err)
			}
			// With br_netfilter loaded (as container engines do), every
			// frame the bridge forwards goes through the namespace's IPv4,
			// IPv6 and ARP netfilter hooks, once per port it leaves by:
			// a flooded frame costs as many hook traversals as the segment
			// has members (measured on 6.18: 1.25 µs per member reached
			// with the hooks, 0.94 µs without). The lab puts no rules in
			// a segment's namespace; without br_netfilter (most machines)
			// the knobs do not exist and bridged frames skip those hooks
			// already.
			for _, knob := range []string{"arptables", "iptables", "ip6tables"} {
				err := writeSysctlAt(unix.AT_FDCWD, "/proc/sys/net/bridge/bridge-nf-call-"+knob, "0")
				if err != nil && !errors.Is(err, unix.ENOENT) {
					return fmt.Errorf("cannot keep bridged frames out of %s, reason: %w", knob, err)
				}
			}
		}
		return nil
	})
}

// adopt makes the namespace fd refers to the lab's, named label in
// messages until the lab is torn down.
func (l *Lab) adopt(fd int, label string) {
	// Links that users add in the lab's namespaces die with them, as the
	// lab's own wires do.
	closing := func() {}
	if ino, err := nsops.Ino(fd); err == nil {
		own, forget := l.sc.Own(ino), nsops.Name(ino, label)
		closing = func() {
			own()
			forget()
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.nsfds = append(l.nsfds, fd)
	l.closing = append(l.closing, closing)
}

// Host adds a host: a transient network namespace with lo up. Its
// interfaces send no IPv6 router solicitations (router_solicitations is 0
// for every link made in it; they still take the advertisements a router
// sends unasked). Host names are unique within a lab. Until the lab is
// torn down, the failure messages of every helper given the host's
// namespace name the host, as `network namespace "alice"
// (net:[4026532307])`.
func (l *Lab) Host(name string) *Host {
	l.t.Helper()
	return l.addHost("host", name, hostNs)
}

// Router adds a host that forwards IPv4 and IPv6 packets between its
// interfaces.
func (l *Lab) Router(name string) *Host {
	l.t.Helper()
	return l.addHost("router", name, routerNs)
}

// AddHosts adds the hosts as [Lab.Host] does and returns them, in the
// order given. Their namespaces are made on up to GOMAXPROCS goroutines at
// once: the kernel does most of the work of a new namespace outside its
// RTNL lock, so that on a machine with more than one core many hosts take
// less time than one after the other.
func (l *Lab) AddHosts(names ...string) []*Host {
	l.t.Helper()
	given := map[string]bool{}
	for _, name := range names {
		l.checkHostName("host", name)
		if given[name] {
			l.t.Fatalf("cannot add host %q to lab, reason: host names must be unique and not empty", name)
		}
		given[name] = true
	}
	fds := make([]int, len(names))
	errs := make([]error, len(names))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(names)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < len(names); i = int(next.Add(1)) - 1 {
				fds[i], errs[i] = unshareNs(hostNs)
				if errs[i] != nil {
					// Ending the goroutine retires a thread that may be
					// stuck in the new namespace (nsops.ErrRestore).
					return
				}
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err == nil {
			continue
		}
		for _, fd := range fds {
			if fd > 0 {
				unix.Close(fd)
			}
		}
		l.t.Fatalf("cannot create network namespace for host %q, reason: %v", names[i], err)
	}
	hosts := make([]*Host, len(names))
	for i, name := range names {
		l.adopt(fds[i], name)
		hosts[i] = l.register(name, fds[i], hostNs)
	}
	return hosts
}

// addHost adds a host of the role, called what in messages.
func (l *Lab) addHost(what, name string, role nsRole) *Host {
	l.t.Helper()
	l.checkHostName(what, name)
	return l.register(name, l.newNetns(fmt.Sprintf("%s %q", what, name), name, role), role)
}

// checkHostName fails the test unless name can be the name of a new host.
func (l *Lab) checkHostName(what, name string) {
	l.t.Helper()
	l.mu.Lock()
	_, taken := l.hosts[name]
	l.mu.Unlock()
	if taken || name == "" {
		l.t.Fatalf("cannot add %s %q to lab, reason: host names must be unique and not empty", what, name)
	}
	if strings.ContainsAny(name, "/: \t\n") || name == "." || name == ".." {
		l.t.Fatalf("cannot add %s %q to lab, reason: interfaces are named after hosts, and interface names cannot hold '/', ':' or white space", what, name)
	}
}

// register records a host of the role whose namespace the lab owns.
func (l *Lab) register(name string, fd int, role nsRole) *Host {
	h := &Host{Name: name, lab: l, router: role == routerNs, netns: fd}
	l.mu.Lock()
	l.hosts[name] = h
	l.mu.Unlock()
	return h
}

// Hosts returns the lab's hosts by name.
func (l *Lab) Hosts() map[string]*Host {
	l.mu.Lock()
	defer l.mu.Unlock()
	hosts := make(map[string]*Host, len(l.hosts))
	for n, h := range l.hosts {
		hosts[n] = h
	}
	return hosts
}

// nextSubnets hands out the next automatic subnet pair: 10.0.N.0/24 and
// fd00:0:0:N::/64 for the next N, or, for a segment that Members sized
// beyond a /24, an aligned block of consecutive Ns as one larger IPv4
// prefix (its /64 is that of the block's first N).
func (l *Lab) nextSubnets(members int) (netip.Prefix, netip.Prefix) {
	l.mu.Lock()
	defer l.mu.Unlock()
	bits := 24
	for bits > 16 && 1<<(32-bits)-2 < members {
		bits--
	}
	block := 1 << (24 - bits)
	n := (l.nextNet/block + 1) * block
	l.nextNet = n + block - 1
	v4 := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(n >> 8), byte(n), 0}), bits)
	v6 := netip.PrefixFrom(netip.AddrFrom16([16]byte{0: 0xfd, 6: byte(n >> 8), 7: byte(n)}), 64)
	return v4, v6
}

// writeSysctlAt writes value to the sysctl file at path below the
// directory dir.
func writeSysctlAt(dir int, path, value string) error {
	fd, err := unix.Openat(dir, path, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	_, err = unix.Write(fd, []byte(value))
	return err
}
