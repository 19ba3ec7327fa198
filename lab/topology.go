package lab

import (
	"errors"
	"fmt"
	"strings"

	"github.com/scratchnet/scratchnet/internal/optname"
)

// Topology is what a generator ([Lab.Star], [Lab.Chain], [Lab.Tree],
// [Lab.LeafSpine]) added to a lab. Its hosts and routers are ordinary ones
// of the lab: wire more to them, attach them to segments, route them with
// [Lab.AutoRoute].
type Topology struct {
	// Hosts are the generated end hosts, in the order of their numbers
	// (h1, h2, ...).
	Hosts []*Host
	// Routers are the generated routers (r1, r2, ..., or s1, ... and l1,
	// ... in a leaf-spine fabric), spines first.
	Routers []*Host
	// Segments are the generated segments.
	Segments []*Segment
}

// TopologyOpt changes what a generator builds.
type TopologyOpt func(*topologyConfig) error

type topologyConfig struct {
	kind          string
	prefix        string
	hostPerRouter bool
}

// NamePrefix puts prefix before every name the generator gives (hosts,
// routers, segments), so that two generated topologies fit in one lab:
// with NamePrefix("a"), a star's hosts are ah1, ah2, ... on segment alan.
func NamePrefix(prefix string) TopologyOpt {
	return func(c *topologyConfig) error {
		if prefix == "" || strings.ContainsAny(prefix, "/: \t\n") {
			return fmt.Errorf("NamePrefix(%q): a prefix is not empty and holds no '/', ':' or white space, as interfaces are named after hosts", prefix)
		}
		c.prefix = prefix
		return nil
	}
}

// HostPerRouter gives a chain a host on every router (host hN on router
// rN) instead of one host at each end.
func HostPerRouter() TopologyOpt {
	return func(c *topologyConfig) error {
		if c.kind != "Chain" {
			return fmt.Errorf("HostPerRouter(): applies to Chain, not to %s", c.kind)
		}
		c.hostPerRouter = true
		return nil
	}
}

// generate checks the generator's counts and options, then builds.
func (l *Lab) generate(call string, counts []int, minimum []int, opts []TopologyOpt, build func(c *topologyConfig, t *Topology)) *Topology {
	l.t.Helper()
	kind, _, _ := strings.Cut(call, "(")
	c := &topologyConfig{kind: kind}
	for n, count := range counts {
		if count < minimum[n] {
			l.t.Fatalf("cannot generate topology %s, reason: %s", call, countRule(kind))
		}
	}
	for i, opt := range opts {
		err := errors.New("nil option")
		if opt != nil {
			err = opt(c)
		}
		if err != nil {
			l.t.Fatalf("cannot generate topology %s, reason: %v", call, optname.Wrap(opt, i, err))
		}
	}
	t := &Topology{}
	build(c, t)
	return t
}

func countRule(kind string) string {
	switch kind {
	case "Star":
		return "a star has at least one host"
	case "Chain":
		return "a chain has at least one router"
	case "Tree":
		return "a tree has a depth of at least 1 and a fanout of at least 1"
	default:
		return "a fabric has at least one spine and one leaf, and no negative number of hosts per leaf"
	}
}

func (c *topologyConfig) name(format string, args ...any) string {
	return c.prefix + fmt.Sprintf(format, args...)
}

// Star puts hosts h1 ... hN on one segment, "lan", sized for them (see
// [Members]): hosts on one switch. No routes are needed.
func (l *Lab) Star(hosts int, opts ...TopologyOpt) *Topology {
	l.t.Helper()
	return l.generate(fmt.Sprintf("Star(%d)", hosts), []int{hosts}, []int{1}, opts, func(c *topologyConfig, t *Topology) {
		for n := 1; n <= hosts; n++ {
			t.Hosts = append(t.Hosts, l.Host(c.name("h%d", n)))
		}
		lan := l.Segment(c.name("lan"), Members(hosts))
		lan.Attach(t.Hosts...)
		t.Segments = []*Segment{lan}
	})
}

// Chain wires routers r1 ... rN in a line, r1 to r2 to r3, with host h1 on
// r1 and host h2 on rN; with [HostPerRouter], host hK on each router rK
// instead. Each wire has a subnet pair of its own; [Lab.AutoRoute] routes
// between them.
func (l *Lab) Chain(routers int, opts ...TopologyOpt) *Topology {
	l.t.Helper()
	return l.generate(fmt.Sprintf("Chain(%d)", routers), []int{routers}, []int{1}, opts, func(c *topologyConfig, t *Topology) {
		for n := 1; n <= routers; n++ {
			r := l.Router(c.name("r%d", n))
			if n > 1 {
				l.Connect(t.Routers[n-2], r)
			}
			t.Routers = append(t.Routers, r)
		}
		on := []*Host{t.Routers[0], t.Routers[routers-1]}
		if c.hostPerRouter {
			on = t.Routers
		}
		for n, r := range on {
			h := l.Host(c.name("h%d", n+1))
			l.Connect(h, r)
			t.Hosts = append(t.Hosts, h)
		}
	})
}

// Tree builds a tree of routers depth levels deep, each with fanout
// children: router r1 at the root, its children r2 ... r(fanout+1), and so
// on breadth first; the routers of the last level each have fanout hosts
// h1, h2, ... as leaves, fanout^depth hosts in all. Every edge is a wire.
func (l *Lab) Tree(depth, fanout int, opts ...TopologyOpt) *Topology {
	l.t.Helper()
	return l.generate(fmt.Sprintf("Tree(%d, %d)", depth, fanout), []int{depth, fanout}, []int{1, 1}, opts, func(c *topologyConfig, t *Topology) {
		level := []*Host{l.Router(c.name("r1"))}
		t.Routers = level
		for d := 1; d <= depth; d++ {
			var next []*Host
			for _, parent := range level {
				for range fanout {
					var child *Host
					if d == depth {
						child = l.Host(c.name("h%d", len(t.Hosts)+1))
						t.Hosts = append(t.Hosts, child)
					} else {
						child = l.Router(c.name("r%d", len(t.Routers)+1))
						t.Routers = append(t.Routers, child)
					}
					l.Connect(parent, child)
					next = append(next, child)
				}
			}
			level = next
		}
	})
}

// LeafSpine builds a two-tier fabric: spine routers s1 ... sS, leaf routers
// l1 ... lL each wired to every spine, and behind each leaf lK a segment
// "rackK" with the leaf and hostsPerLeaf hosts, numbered h1, h2, ... rack
// by rack. [Lab.AutoRoute] picks one spine per destination, the same way
// every time (see there).
func (l *Lab) LeafSpine(spines, leaves, hostsPerLeaf int, opts ...TopologyOpt) *Topology {
	l.t.Helper()
	call := fmt.Sprintf("LeafSpine(%d, %d, %d)", spines, leaves, hostsPerLeaf)
	return l.generate(call, []int{spines, leaves, hostsPerLeaf}, []int{1, 1, 0}, opts, func(c *topologyConfig, t *Topology) {
		for n := 1; n <= spines; n++ {
			t.Routers = append(t.Routers, l.Router(c.name("s%d", n)))
		}
		for n := 1; n <= leaves; n++ {
			leaf := l.Router(c.name("l%d", n))
			t.Routers = append(t.Routers, leaf)
			for _, spine := range t.Routers[:spines] {
				l.Connect(leaf, spine)
			}
			rack := l.Segment(c.name("rack%d", n), Members(hostsPerLeaf+1))
			rack.Attach(leaf)
			for range hostsPerLeaf {
				h := l.Host(c.name("h%d", len(t.Hosts)+1))
				t.Hosts = append(t.Hosts, h)
				rack.Attach(h)
			}
			t.Segments = append(t.Segments, rack)
		}
	})
}
