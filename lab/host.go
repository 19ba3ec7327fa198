package lab

import (
	"fmt"
	"net/netip"
	"sort"
	"sync"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/firewall"
	"github.com/scratchnet/scratchnet/impair"
	"github.com/scratchnet/scratchnet/internal/nsops"
)

// Host is one network namespace of a lab, named for the reader.
type Host struct {
	// Name is the host's name in the lab.
	Name string

	lab    *Lab
	netns  int
	router bool
	mu     sync.Mutex
	ifaces []*Iface
	handle *netlink.Handle
	// fw is the host's nftables table, made by the first Firewall call.
	fw *firewall.Table
}

// Iface is one interface of a host: the link, as it is in the host's
// namespace, and the addresses the lab gave it (invalid prefixes when none).
type Iface struct {
	Host *Host
	Link netlink.Link
	IPv4 netip.Prefix
	IPv6 netip.Prefix

	// peer is the other end of a wire; nil for an interface on a segment.
	peer *Iface
	// port is the bridge port of an interface on a segment, in the
	// segment's namespace portNetns; nil for an end of a wire.
	port      netlink.Link
	portNetns int
	// impairment is what Impair put on the interface's egress, or nil.
	impairment *impair.Impairment
}

// Name is the interface's name in its host.
func (i *Iface) Name() string { return i.Link.Attrs().Name }

// FarEnd returns the other end of the interface's veth pair and an fd
// referring to that end's network namespace: for an end of a wire, the
// other host's interface; for an interface on a segment, its bridge port in
// the segment's namespace. Setting the far end down takes the carrier from
// this interface, as pulling its cable would. The fd stays open until the
// lab is torn down; the caller must not close it.
func (i *Iface) FarEnd() (netns int, end netlink.Link) {
	if i.peer != nil {
		return i.peer.Host.netns, i.peer.Link
	}
	return i.portNetns, i.port
}

// Netns returns an fd referring to the host's network namespace. It stays
// open until the lab is torn down; the caller must not close it.
func (h *Host) Netns() int { return h.netns }

// Execute runs fn on the calling goroutine with its thread switched into the
// host's network namespace, and switches back afterwards (also when fn
// panics). Goroutines that fn starts do not run in the host's namespace:
// give them sockets from [Host.Listen], [Host.ListenPacket] or
// [Host.Dialer], or wrap their work in [Host.Do].
func (h *Host) Execute(fn func()) {
	h.lab.t.Helper()
	if err := nsops.Do(h.netns, fn); err != nil {
		h.lab.t.Fatalf("cannot execute in host %q, reason: %v", h.Name, err)
	}
}

// Handle returns a netlink handle bound to the host's namespace, the same
// one on every call, for every netlink family, as [netns.NewNetlinkHandle]
// describes. It is closed when the lab is torn down; the caller must not
// close it.
func (h *Host) Handle() *netlink.Handle {
	h.lab.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.handle == nil {
		hd, err := nsops.HandleAt(h.netns)
		if err != nil {
			h.lab.t.Fatalf("cannot open netlink handle for host %q, reason: %v", h.Name, err)
		}
		h.handle = hd
	}
	return h.handle
}

func (h *Host) closeHandle() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.handle != nil {
		h.handle.Close()
		h.handle = nil
	}
}

// Ifaces returns the interfaces the lab gave the host, in the order they
// were made.
func (h *Host) Ifaces() []*Iface {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*Iface(nil), h.ifaces...)
}

// Iface returns the host's interface of the given name, or nil.
func (h *Host) Iface(name string) *Iface {
	for _, i := range h.Ifaces() {
		if i.Name() == name {
			return i
		}
	}
	return nil
}

// Addrs returns the global addresses of every link of the host, by link
// name, as the kernel reports them now.
func (h *Host) Addrs() map[string][]netip.Prefix {
	h.lab.t.Helper()
	addrs, err := dumpAddrs(h.Handle())
	if err != nil {
		h.lab.t.Fatalf("cannot list addresses of host %q, reason: %v", h.Name, err)
	}
	return addrs
}

func dumpAddrs(hd *netlink.Handle) (map[string][]netip.Prefix, error) {
	links, err := nsops.RetryDump(hd.LinkList)
	if err != nil {
		return nil, err
	}
	names := map[int]string{}
	for _, l := range links {
		names[l.Attrs().Index] = l.Attrs().Name
	}
	all, err := nsops.RetryDump(func() ([]netlink.Addr, error) { return hd.AddrList(nil, netlink.FAMILY_ALL) })
	if err != nil {
		return nil, err
	}
	out := map[string][]netip.Prefix{}
	for _, a := range all {
		if a.Scope != unix.RT_SCOPE_UNIVERSE {
			continue
		}
		ip, _ := netip.AddrFromSlice(a.IP)
		ones, _ := a.Mask.Size()
		name := names[a.LinkIndex]
		out[name] = append(out[name], netip.PrefixFrom(ip.Unmap(), ones))
	}
	for _, p := range out {
		sort.Slice(p, func(i, j int) bool { return p[i].Addr().Less(p[j].Addr()) })
	}
	return out, nil
}

func (h *Host) addIface(i *Iface) {
	h.mu.Lock()
	h.ifaces = append(h.ifaces, i)
	h.mu.Unlock()
	h.lab.captureIfCapturing(i)
}

// uniqueName returns a name for a new interface of the host, after base;
// see uniqueIfName.
func (h *Host) uniqueName(base string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	taken := map[string]bool{}
	for _, i := range h.ifaces {
		taken[i.Name()] = true
	}
	return uniqueIfName(base, taken)
}

// uniqueIfName returns base, cut to the 15 characters of an interface name,
// or that with a number appended if the name is taken (or is "lo").
func uniqueIfName(base string, taken map[string]bool) string {
	for n := 0; ; n++ {
		suffix := ""
		if n > 0 {
			suffix = fmt.Sprint(n)
		}
		name := base
		if len(name)+len(suffix) > 15 {
			name = name[:15-len(suffix)]
		}
		if name += suffix; !taken[name] && name != "lo" {
			return name
		}
	}
}
