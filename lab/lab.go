package lab

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/diag"
	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/internal/scope"
)

// Lab is one topology: its hosts, wires and segments. Build it within one
// test node; it is torn down when that node's cleanup runs.
type Lab struct {
	t testing.TB

	mu       sync.Mutex
	hosts    map[string]*Host
	nsfds    []int
	nextNet  int
	closing  bool
	segments map[string]*Segment
	// sc is the lab's cleanup scope; closings tell it that the lab closes
	// its namespaces (see scope.Own).
	sc       *scope.Scope
	closings []func()
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
	l := &Lab{t: t, hosts: map[string]*Host{}, segments: map[string]*Segment{}, sc: sc}
	sc.Cleanup(t, l.teardown)
	diag.Watch(t, sc, "scratchnet lab", diag.Caller(), l.targets)
	return l
}

// teardown closes every namespace of the lab; the kernel then removes their
// interfaces, addresses and routes in one batch per namespace.
func (l *Lab) teardown() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closing = true
	for _, h := range l.hosts {
		h.closeHandle()
	}
	for _, closing := range l.closings {
		closing()
	}
	for _, fd := range l.nsfds {
		unix.Close(fd)
	}
	l.nsfds = nil
}

// targets lists the lab's namespaces for a failure report, hosts first.
func (l *Lab) targets() []diag.Target {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closing {
		return nil
	}
	var out []diag.Target
	for _, name := range slices.Sorted(maps.Keys(l.hosts)) {
		out = append(out, diag.Target{Name: "host " + name, NsFd: l.hosts[name].netns})
	}
	for _, name := range slices.Sorted(maps.Keys(l.segments)) {
		out = append(out, diag.Target{Name: "segment " + name, NsFd: l.segments[name].netns})
	}
	return out
}

// newNetns creates a namespace owned by the lab.
func (l *Lab) newNetns(what string) int {
	l.t.Helper()
	fd, err := nsops.Unshare()
	if err != nil {
		l.t.Fatalf("cannot create network namespace for %s, reason: %v", what, err)
	}
	// Link-local IPv6 addresses are tentative for about a second after a
	// link comes up (duplicate address detection), and a router cannot
	// resolve the next hop of a forwarded packet without one: turn DAD off
	// in the lab's namespaces, where no address can be duplicated anyway.
	var sysctlErr error
	err = nsops.Do(fd, func() {
		for _, knob := range []string{"default", "all"} {
			if sysctlErr == nil {
				sysctlErr = writeSysctl("/proc/sys/net/ipv6/conf/"+knob+"/accept_dad", "0")
			}
		}
	})
	if err == nil {
		err = sysctlErr
	}
	if err != nil {
		unix.Close(fd)
		l.t.Fatalf("cannot turn off IPv6 duplicate address detection for %s, reason: %v", what, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.nsfds = append(l.nsfds, fd)
	if ino, err := nsops.Ino(fd); err == nil {
		l.closings = append(l.closings, l.sc.Own(ino))
	}
	return fd
}

// Host adds a host: a transient network namespace with lo up. Host names
// are unique within a lab.
func (l *Lab) Host(name string) *Host {
	l.t.Helper()
	l.mu.Lock()
	_, taken := l.hosts[name]
	l.mu.Unlock()
	if taken || name == "" {
		l.t.Fatalf("cannot add host %q to lab, reason: host names must be unique and not empty", name)
	}
	if strings.ContainsAny(name, "/: \t\n") || name == "." || name == ".." {
		l.t.Fatalf("cannot add host %q to lab, reason: interfaces are named after hosts, and interface names cannot hold '/', ':' or white space", name)
	}
	h := &Host{Name: name, lab: l, netns: l.newNetns(fmt.Sprintf("host %q", name))}
	l.mu.Lock()
	l.hosts[name] = h
	l.mu.Unlock()
	return h
}

// Router adds a host that forwards IPv4 and IPv6 packets between its
// interfaces.
func (l *Lab) Router(name string) *Host {
	l.t.Helper()
	h := l.Host(name)
	err := nsops.Do(h.netns, func() {
		for _, knob := range []string{"ipv4/ip_forward", "ipv6/conf/all/forwarding"} {
			// /proc/sys/net shows the namespace of the thread opening it.
			if err := writeSysctl("/proc/sys/net/"+knob, "1"); err != nil {
				l.t.Fatalf("cannot enable forwarding on router %q, reason: %v", name, err)
			}
		}
	})
	if err != nil {
		l.t.Fatalf("cannot enable forwarding on router %q, reason: %v", name, err)
	}
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

// nextSubnets hands out the next automatic subnet pair.
func (l *Lab) nextSubnets() (netip.Prefix, netip.Prefix) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.nextNet++
	n := l.nextNet
	v4 := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(n >> 8), byte(n), 0}), 24)
	v6 := netip.PrefixFrom(netip.AddrFrom16([16]byte{0: 0xfd, 6: byte(n >> 8), 7: byte(n)}), 64)
	return v4, v6
}

func writeSysctl(path, value string) error {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	_, err = unix.Write(fd, []byte(value))
	return err
}
