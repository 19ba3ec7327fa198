package lab

import (
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/diag"
)

// AutoRoute installs static routes so that every host of the lab reaches
// every address of every other, in IPv4 and IPv6, over shortest paths: it
// reads the lab's graph as it is now (hosts, routers, wires, segments,
// generated or built by hand) and gives each host a route to each subnet it
// is not on, via the first router of a shortest path. Packets cross only
// routers ([Lab.Router]); a plain host on two wires does not forward.
//
// Where several shortest paths exist, each host takes the next hop whose
// router name sorts first in natural order (r2 before r10), so the routes
// are the same in every run and no route has two next hops. A host that is
// not a router and reaches every other subnet through the same gateway
// gets one default route instead of one route per subnet. AutoRoute
// replaces routes of the lab's hosts to the same destinations (a default
// route set earlier included), so it can be called again after the lab
// grew. Hosts without addresses of a family ([NoAddrs]) are left out of
// that family's routes.
//
// When some addressed host cannot reach another, AutoRoute fails before
// installing anything, naming both hosts. The routes go with the lab.
func (l *Lab) AutoRoute() {
	l.t.Helper()
	g := l.graph()
	var plan []plannedRoute
	for _, v6 := range []bool{false, true} {
		routes, err := g.routes(v6)
		if err != nil {
			l.t.Fatalf("cannot route lab automatically, reason: %v", err)
		}
		plan = append(plan, routes...)
	}
	for _, r := range plan {
		if err := r.host.replaceRoute(r.dst, r.via); err != nil {
			l.t.Fatalf("cannot add route to %s on host %q, reason: %v", r.dst, r.host.Name, err)
		}
	}
}

// plannedRoute is one route AutoRoute installs: dst via the interface via
// of a neighbouring router.
type plannedRoute struct {
	host *Host
	dst  netip.Prefix
	via  *Iface
}

// graph is the lab as AutoRoute sees it: hosts in natural order and the
// domains (wires and segments) that join their interfaces.
type graph struct {
	hosts   []*Host
	rank    map[*Host]int
	routers map[*Host]bool
	domains [][]*Iface // each domain's interfaces, hosts in natural order
	on      map[*Host][]attachment
}

// attachment is a host's interface on a domain.
type attachment struct {
	domain int
	iface  *Iface
}

func (l *Lab) graph() *graph {
	p := l.snapshot()
	g := &graph{hosts: p.hosts, rank: map[*Host]int{}, routers: p.routers, on: map[*Host][]attachment{}}
	for n, h := range p.hosts {
		g.rank[h] = n
	}
	add := func(ifaces []*Iface) {
		for _, i := range ifaces {
			g.on[i.Host] = append(g.on[i.Host], attachment{domain: len(g.domains), iface: i})
		}
		g.domains = append(g.domains, ifaces)
	}
	for _, w := range p.wires {
		ends := []*Iface{w.a, w.b}
		if g.rank[w.b.Host] < g.rank[w.a.Host] {
			ends = []*Iface{w.b, w.a}
		}
		add(ends)
	}
	for _, name := range p.segments {
		add(p.members[name])
	}
	return g
}

// addrOf is the interface's prefix of the family, invalid when it has none.
func addrOf(i *Iface, v6 bool) netip.Prefix {
	if v6 {
		return i.IPv6
	}
	return i.IPv4
}

// routes plans one family's routes: for each subnet, a breadth-first
// search from the hosts on it outwards through routers gives every other
// host its distance, and each host then routes via the neighbouring router
// one step closer that sorts first.
func (g *graph) routes(v6 bool) ([]plannedRoute, error) {
	type subnet struct {
		prefix netip.Prefix
		domain int
	}
	var subnets []subnet
	seen := map[netip.Prefix]bool{}
	for d, ifaces := range g.domains {
		for _, i := range ifaces {
			if p := addrOf(i, v6).Masked(); p.IsValid() && !seen[p] {
				seen[p] = true
				subnets = append(subnets, subnet{p, d})
			}
		}
	}
	// The routers on each domain, which are the only possible next hops.
	routersOn := make([][]*Iface, len(g.domains))
	for d, ifaces := range g.domains {
		for _, i := range ifaces {
			if g.routers[i.Host] && addrOf(i, v6).IsValid() {
				routersOn[d] = append(routersOn[d], i)
			}
		}
	}
	addressed := map[*Host]bool{}
	for h, atts := range g.on {
		for _, a := range atts {
			if addrOf(a.iface, v6).IsValid() {
				addressed[h] = true
			}
		}
	}
	byHost := map[*Host][]plannedRoute{}
	dist := make([]int, len(g.hosts))
	for _, s := range subnets {
		for n := range dist {
			dist[n] = -1
		}
		var queue []*Host
		for _, i := range g.domains[s.domain] {
			if s.prefix.Contains(addrOf(i, v6).Addr()) && dist[g.rank[i.Host]] < 0 {
				dist[g.rank[i.Host]] = 0
				queue = append(queue, i.Host)
			}
		}
		for len(queue) > 0 {
			x := queue[0]
			queue = queue[1:]
			if !g.routers[x] {
				continue
			}
			for _, a := range g.on[x] {
				gw := addrOf(a.iface, v6)
				if !gw.IsValid() {
					continue
				}
				for _, i := range g.domains[a.domain] {
					y := g.rank[i.Host]
					if dist[y] < 0 && addrOf(i, v6).Contains(gw.Addr()) {
						dist[y] = dist[g.rank[x]] + 1
						queue = append(queue, i.Host)
					}
				}
			}
		}
		for _, h := range g.hosts {
			if !addressed[h] {
				continue
			}
			d := dist[g.rank[h]]
			if d < 0 {
				return nil, unreachable(h, s.prefix, g.domains[s.domain], v6)
			}
			if d == 0 {
				continue
			}
			var via *Iface
			for _, a := range g.on[h] {
				own := addrOf(a.iface, v6)
				for _, r := range routersOn[a.domain] {
					if r.Host != h && dist[g.rank[r.Host]] == d-1 && own.Contains(addrOf(r, v6).Addr()) &&
						(via == nil || g.rank[r.Host] < g.rank[via.Host]) {
						via = r
					}
				}
			}
			byHost[h] = append(byHost[h], plannedRoute{host: h, dst: s.prefix, via: via})
		}
	}
	var plan []plannedRoute
	for _, h := range g.hosts {
		routes := byHost[h]
		if len(routes) > 1 && !g.routers[h] && !slices.ContainsFunc(routes, func(r plannedRoute) bool { return r.via != routes[0].via }) {
			def := netip.MustParsePrefix("0.0.0.0/0")
			if v6 {
				def = netip.MustParsePrefix("::/0")
			}
			routes = []plannedRoute{{host: h, dst: def, via: routes[0].via}}
		}
		plan = append(plan, routes...)
	}
	return plan, nil
}

// unreachable names the hosts that h cannot reach: those on the subnet.
func unreachable(h *Host, subnet netip.Prefix, on []*Iface, v6 bool) error {
	var names []string
	for _, i := range on {
		if subnet.Contains(addrOf(i, v6).Addr()) {
			names = append(names, fmt.Sprintf("%q", i.Host.Name))
		}
	}
	slices.SortFunc(names, diag.NaturalCompare)
	family := "IPv4"
	if v6 {
		family = "IPv6"
	}
	return fmt.Errorf("no %s path from host %q to host %s on %s: wires and segments do not join them, or only through hosts that are not routers (lab.Router forwards)",
		family, h.Name, names[0], subnet)
}

// replaceRoute sets the host's route to dst via the gateway's address of
// dst's family, over the host's one netlink handle, replacing a route to
// the same destination.
func (h *Host) replaceRoute(dst netip.Prefix, gw *Iface) error {
	via := gatewayOf(gw, dst)
	r := &netlink.Route{
		Dst:      &net.IPNet{IP: net.IP(dst.Addr().AsSlice()), Mask: net.CIDRMask(dst.Bits(), dst.Addr().BitLen())},
		Gw:       net.IP(via.AsSlice()),
		Protocol: unix.RTPROT_STATIC,
	}
	if err := h.Handle().RouteReplace(r); err != nil {
		return fmt.Errorf("via %s (%s of host %q): %w", via, gw.Name(), gw.Host.Name, err)
	}
	return nil
}
