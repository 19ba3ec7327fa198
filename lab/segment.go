package lab

import (
	"fmt"
	"sync"

	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/veth"
)

// Segment is a shared Ethernet segment: a bridge in a network namespace of
// its own, with one veth pair per attached host, like hosts plugged into
// one switch. IPv6 is off for the links of that namespace (the bridge and
// its ports have no addresses); it carries the hosts' IPv6 all the same.
// The frames it forwards skip its namespace's IP and ARP netfilter hooks
// even where br_netfilter is loaded (bridge-nf-call-* are 0 there).
type Segment struct {
	// Name is the segment's name; it is also the name of each member's
	// interface on it and of the bridge.
	Name string

	lab    *Lab
	netns  int
	bridge netlink.Link
	mu     sync.Mutex
	addrs  *addressing
	ports  map[*Host]*Iface
	// ifNames are the names taken in the segment's namespace: the
	// bridge's and its ports'. Kept, rather than gathered per attach, so
	// that a port costs the same whatever the number before it.
	ifNames map[string]bool
	// portNames are the names of the bridge's ports, by host, for the
	// diagram.
	portNames map[*Host]string
}

// Segment adds an empty segment; [Segment.Attach] plugs hosts into it. Unless
// [Subnet] says otherwise, it gets the next automatic subnet pair, whose
// IPv4 /24 holds 254 members: give [Members] for more (or attach them in
// the first Attach call).
// Until the lab is torn down, failure messages name the segment's
// namespace as `network namespace "segment lan" (net:[4026532311])`.
func (l *Lab) Segment(name string, opts ...Opt) *Segment {
	l.t.Helper()
	l.mu.Lock()
	_, taken := l.segments[name]
	l.mu.Unlock()
	if taken || name == "" {
		l.t.Fatalf("cannot add segment %q to lab, reason: segment names must be unique and not empty", name)
	}
	s := &Segment{Name: name, lab: l, ports: map[*Host]*Iface{}, ifNames: map[string]bool{name: true}, portNames: map[*Host]string{}}
	s.addrs = l.newAddressing(fmt.Sprintf("segment %q", name), opts)
	if len(s.addrs.links.macs) > 0 {
		l.t.Fatalf("cannot add segment %q to lab, reason: WithHardwareAddrs applies to wires and to single members (AttachWith)", name)
	}
	s.netns = l.newNetns(fmt.Sprintf("segment %q", name), "segment "+name, segmentNs)
	// The bridge is set up but not waited for: without ports it may have
	// no carrier, and it needs none to forward between ports.
	s.bridge = link.NewTransientT(l.t, &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name}}, "lab-",
		link.WithLinkNamespace(s.netns), link.GoesWithNamespace())
	if err := setUp(s.netns, s.bridge); err != nil {
		l.t.Fatalf("cannot set bridge of segment %q up, reason: %v", name, err)
	}
	l.mu.Lock()
	l.segments[name] = s
	l.mu.Unlock()
	return s
}

// Attach plugs the hosts into the segment, in order, and returns their new
// interfaces, each up and addressed. When the segment has no members yet
// and more hosts come than its automatic subnet holds, the segment takes a
// larger one first, as [Members] would have given it.
func (s *Segment) Attach(hosts ...*Host) []*Iface {
	s.lab.t.Helper()
	s.mu.Lock()
	if a := s.addrs; a.auto && len(s.ports) == 0 && len(hosts) > 1<<(32-a.v4.Bits())-2 {
		a.members = len(hosts)
		a.v4, a.v6 = s.lab.nextSubnets(len(hosts))
	}
	s.mu.Unlock()
	ifaces := make([]*Iface, 0, len(hosts))
	for _, h := range hosts {
		ifaces = append(ifaces, s.attach(h, nil))
	}
	return ifaces
}

func (s *Segment) attach(h *Host, member *addressing) *Iface {
	s.lab.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.ports[h]; ok || h.lab != s.lab {
		s.lab.t.Fatalf("cannot attach host %q to segment %q, reason: it is attached already or of another lab", h.Name, s.Name)
	}
	v4, v6, err := s.addrs.take()
	links := s.addrs.links
	if err == nil && member != nil {
		v4, v6, links, err = member.forMember(v4, v6, links)
	}
	if err != nil {
		s.lab.t.Fatalf("cannot attach host %q to segment %q, reason: %v", h.Name, s.Name, err)
	}
	// The first end is the bridge port, created as the bridge's slave; the
	// peer is the host's interface. Ports are named after their hosts, as
	// far as an interface name can hold them.
	port := uniqueIfName(h.Name, s.ifNames)
	tmpl := &netlink.Veth{
		LinkAttrs: netlink.LinkAttrs{Name: port, MasterIndex: s.bridge.Attrs().Index},
		PeerName:  h.uniqueName(s.Name),
	}
	if err := links.template(tmpl, fmt.Sprintf("the port of host %q on segment %q", h.Name, s.Name)); err != nil {
		s.lab.t.Fatalf("cannot attach host %q to segment %q, reason: %v", h.Name, s.Name, err)
	}
	opts := []link.Opt{link.WithLinkNamespace(s.netns), veth.WithPeerNamespace(h.netns), link.GoesWithNamespace()}
	opts = append(opts, withAddrs(veth.WithPeerAddress, v4, v6)...)
	portEnd, hostEnd := link.NewTransientPairT(s.lab.t, tmpl, "lab-", append(opts, link.WithUp(), veth.WithPeerUp())...)
	i := &Iface{Host: h, Link: hostEnd, IPv4: v4, IPv6: v6, port: portEnd, portNetns: s.netns}
	h.addIface(i)
	links.impairMember(i, portEnd)
	s.ports[h] = i
	s.ifNames[port] = true
	s.portNames[h] = port
	return i
}

// Iface returns the interface by which h is attached to the segment, or nil.
func (s *Segment) Iface(h *Host) *Iface {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ports[h]
}

// Netns returns an fd referring to the segment's namespace, where its bridge
// and the bridge's ports live. It stays open until the lab is torn down; the
// caller must not close it.
func (s *Segment) Netns() int { return s.netns }

// Bridge returns the segment's bridge, as it is in the segment's namespace.
func (s *Segment) Bridge() netlink.Link { return s.bridge }
