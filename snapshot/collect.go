package snapshot

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/diag"
	"github.com/scratchnet/scratchnet/internal/nsops"
)

// collect reads the sections cfg selects from the namespace fd refers to.
func collect(fd int, cfg config) ([]Item, error) {
	h, err := nsops.RouteHandleAt(fd)
	if err != nil {
		return nil, fmt.Errorf("cannot open netlink handle, reason: %w", err)
	}
	defer h.Close()
	links, err := nsops.RetryDump(h.LinkList)
	if err != nil {
		return nil, fmt.Errorf("cannot list links, reason: %w", err)
	}
	c := &collector{h: h, fd: fd, cfg: cfg, names: linkNames(links, cfg.prefixes), links: links}
	steps := []struct {
		section Section
		read    func() error
	}{
		{Links, c.readLinks}, {Addresses, c.readAddresses}, {Routes, c.readRoutes}, {Rules, c.readRules},
		{Neighbours, c.readNeighbours}, {Nftables, c.readNftables}, {Qdiscs, c.readQdiscs},
		{Sysctls, c.readSysctls}, {Sockets, c.readSockets},
	}
	for _, st := range steps {
		if cfg.has(st.section) {
			if err := st.read(); err != nil {
				return nil, err
			}
		}
	}
	if !cfg.keepKernel {
		c.items = slices.DeleteFunc(c.items, func(it Item) bool { return it.Kernel })
	}
	sortItems(c.items)
	return numberDuplicates(c.items), nil
}

type collector struct {
	h     *netlink.Handle
	fd    int
	cfg   config
	links []netlink.Link
	names map[int]string
	items []Item
}

func (c *collector) add(it Item) { c.items = append(c.items, it) }

// name is the snapshot's name for the link with that index.
func (c *collector) name(index int) string {
	if n, ok := c.names[index]; ok {
		return n
	}
	// A link that went away between the dumps; its index is all there is.
	return "if" + strconv.Itoa(index)
}

// linkNames maps the links' indexes to their names, those starting with
// one of the prefixes renamed as TransientNames says.
func linkNames(links []netlink.Link, prefixes []string) map[int]string {
	byIndex := slices.Clone(links)
	slices.SortFunc(byIndex, func(a, b netlink.Link) int { return a.Attrs().Index - b.Attrs().Index })
	names := map[int]string{}
	matched := map[string][]int{}
	for _, l := range byIndex {
		a := l.Attrs()
		names[a.Index] = a.Name
		for _, p := range prefixes {
			if strings.HasPrefix(a.Name, p) {
				matched[p] = append(matched[p], a.Index)
				break
			}
		}
	}
	for p, indexes := range matched {
		for i, index := range indexes {
			names[index] = p + "*"
			if len(indexes) > 1 {
				names[index] += strconv.Itoa(i + 1)
			}
		}
	}
	return names
}

// fallbackTunnels are the links, by name and kind, that the kernel makes in
// every new namespace once the module of a tunnel kind is loaded: whether
// they exist says what the host loaded, not what a test did.
var fallbackTunnels = map[string]string{
	"tunl0": "ipip", "sit0": "sit", "ip6tnl0": "ip6tnl", "gre0": "gre", "gretap0": "gretap",
	"erspan0": "erspan", "ip_vti0": "vti", "ip6_vti0": "vti6", "ip6gre0": "ip6gre",
}

func (c *collector) readLinks() error {
	for _, l := range c.links {
		a := l.Attrs()
		kind := l.Type()
		if kind == "device" && a.Flags&net.FlagLoopback != 0 {
			// A link without a kind of its own: netlink calls it "device".
			kind = "loopback"
		}
		it := Item{Kind: "link", Name: c.name(a.Index), Fields: []Field{{Value: kind, Key: true}},
			Kernel: fallbackTunnels[a.Name] == kind}
		if _, ok := l.(*netlink.Veth); ok && a.ParentIndex > 0 && a.NetNsID < 0 {
			it.Fields = append(it.Fields, Field{Name: "peer", Value: c.name(a.ParentIndex), Key: true})
		}
		state := "down"
		if a.Flags&net.FlagUp != 0 {
			state = "up"
		}
		it.Fields = append(it.Fields, Field{Name: "state", Value: state}, Field{Name: "mtu", Value: strconv.Itoa(a.MTU)})
		if a.MasterIndex > 0 {
			it.Fields = append(it.Fields, Field{Name: "master", Value: c.name(a.MasterIndex)})
		}
		c.add(it)
	}
	return nil
}

func (c *collector) readAddresses() error {
	addrs, err := nsops.RetryDump(func() ([]netlink.Addr, error) { return c.h.AddrList(nil, netlink.FAMILY_ALL) })
	if err != nil {
		return fmt.Errorf("cannot list addresses, reason: %w", err)
	}
	for _, a := range addrs {
		if isEUI64LinkLocal(a.IPNet) {
			continue
		}
		c.add(Item{Kind: "address", Name: a.IPNet.String(), Fields: []Field{{Name: "dev", Value: c.name(a.LinkIndex), Key: true}}})
	}
	return nil
}

// isEUI64LinkLocal reports whether ipn is an fe80::/64 address of the
// form the kernel derives from a MAC when a link comes up (EUI-64, with
// ff:fe amid the interface identifier). It need not be the link's present
// MAC: a bridge keeps the address derived from the MAC it had when it came
// up, and takes another MAC when its first port joins.
func isEUI64LinkLocal(ipn *net.IPNet) bool {
	if ipn == nil || ipn.IP.To4() != nil || !ipn.IP.IsLinkLocalUnicast() {
		return false
	}
	if ones, _ := ipn.Mask.Size(); ones != 64 {
		return false
	}
	ip := ipn.IP.To16()
	return ip[11] == 0xff && ip[12] == 0xfe
}

var routeTypes = map[int]string{
	unix.RTN_LOCAL: "local", unix.RTN_BROADCAST: "broadcast", unix.RTN_ANYCAST: "anycast",
	unix.RTN_MULTICAST: "multicast", unix.RTN_BLACKHOLE: "blackhole", unix.RTN_UNREACHABLE: "unreachable",
	unix.RTN_PROHIBIT: "prohibit", unix.RTN_THROW: "throw", unix.RTN_NAT: "nat",
}

var routeProtos = map[netlink.RouteProtocol]string{
	unix.RTPROT_REDIRECT: "redirect", unix.RTPROT_KERNEL: "kernel", unix.RTPROT_RA: "ra",
	unix.RTPROT_DHCP: "dhcp", unix.RTPROT_STATIC: "static", unix.RTPROT_BGP: "bgp", unix.RTPROT_OSPF: "ospf",
}

// multicastV6 is ff00::/8, whose routes the kernel adds to the local table
// for each IPv6 link that comes up.
var multicastV6 = &net.IPNet{IP: net.ParseIP("ff00::"), Mask: net.CIDRMask(8, 128)}

func (c *collector) readRoutes() error {
	routes, err := nsops.RetryDump(func() ([]netlink.Route, error) {
		return c.h.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	})
	if err != nil {
		return fmt.Errorf("cannot list routes, reason: %w", err)
	}
	for _, r := range routes {
		c.add(c.routeItem(r))
	}
	return nil
}

func (c *collector) routeItem(r netlink.Route) Item {
	dst := "default"
	if r.Family == netlink.FAMILY_V6 {
		dst = "::/0"
	}
	if r.Dst != nil {
		ones, bits := r.Dst.Mask.Size()
		switch {
		case ones == bits:
			// A host route, shown as "ip route" shows it.
			dst = r.Dst.IP.String()
		case ones > 0 || !r.Dst.IP.IsUnspecified():
			dst = r.Dst.String()
		}
	}
	if t, ok := routeTypes[r.Type]; ok {
		dst = t + " " + dst
	}
	it := Item{Kind: "route", Name: dst}
	if r.Gw != nil {
		it.Fields = append(it.Fields, Field{Name: "via", Value: r.Gw.String()})
	}
	if r.LinkIndex > 0 {
		it.Fields = append(it.Fields, Field{Name: "dev", Value: c.name(r.LinkIndex)})
	}
	for _, nh := range r.MultiPath {
		s := ""
		if nh.Gw != nil {
			s = "via " + nh.Gw.String() + " "
		}
		it.Fields = append(it.Fields, Field{Name: "nexthop", Value: s + "dev " + c.name(nh.LinkIndex)})
	}
	if r.Src != nil {
		it.Fields = append(it.Fields, Field{Name: "src", Value: r.Src.String()})
	}
	it.Fields = append(it.Fields, Field{Name: "table", Value: diag.TableName(r.Table), Key: true})
	if r.Priority > 0 {
		it.Fields = append(it.Fields, Field{Name: "metric", Value: strconv.Itoa(r.Priority), Key: true})
	}
	if r.Tos > 0 {
		it.Fields = append(it.Fields, Field{Name: "tos", Value: strconv.Itoa(r.Tos), Key: true})
	}
	if p, ok := routeProtos[r.Protocol]; ok {
		it.Fields = append(it.Fields, Field{Name: "proto", Value: p})
	} else if r.Protocol > unix.RTPROT_STATIC {
		it.Fields = append(it.Fields, Field{Name: "proto", Value: strconv.Itoa(int(r.Protocol))})
	}
	it.Kernel = r.Protocol == unix.RTPROT_KERNEL || r.Table == unix.RT_TABLE_LOCAL ||
		(r.Dst != nil && (r.Dst.String() == "fe80::/64" || r.Dst.String() == multicastV6.String()))
	return it
}

func (c *collector) readRules() error {
	rules, err := diag.Rules(c.h)
	if err != nil {
		return fmt.Errorf("cannot list policy rules, reason: %w", err)
	}
	for _, r := range rules {
		name := diag.RuleText(r)
		if r.Family == netlink.FAMILY_V6 {
			name = "inet6 " + name
		}
		c.add(Item{Kind: "rule", Name: name, Kernel: diag.IsDefaultRule(r)})
	}
	return nil
}

func (c *collector) readNeighbours() error {
	neighs, err := diag.Neighbours(c.h)
	if err != nil {
		return fmt.Errorf("cannot list neighbours, reason: %w", err)
	}
	for _, n := range neighs {
		if !c.cfg.allNeighbours && n.State&unix.NUD_PERMANENT == 0 {
			continue
		}
		it := Item{Kind: "neighbour", Name: n.IP.String(), Fields: []Field{{Name: "dev", Value: c.name(n.LinkIndex), Key: true}}}
		if len(n.HardwareAddr) > 0 {
			it.Fields = append(it.Fields, Field{Name: "lladdr", Value: n.HardwareAddr.String()})
		}
		if n.Flags&unix.NTF_ROUTER != 0 {
			it.Fields = append(it.Fields, Field{Name: "router", Value: "yes"})
		}
		if c.cfg.allNeighbours {
			it.Fields = append(it.Fields, Field{Name: "state", Value: diag.NeighState(n.State)})
		}
		c.add(it)
	}
	return nil
}

func (c *collector) readNftables() error {
	rs, err := diag.Nftables(c.fd, -1)
	if diag.NftablesMissing(err) || errors.Is(err, unix.EPERM) {
		// No nf_tables, or no CAP_NET_ADMIN to read them: an
		// unprivileged process snapshotting its own namespace.
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot list nftables, reason: %w", err)
	}
	for _, t := range rs.Tables {
		c.add(Item{Kind: "nft table", Name: diag.FamilyName(t.Family) + " " + t.Name})
	}
	for _, ch := range rs.Chains {
		if ch.Table == nil {
			continue
		}
		name := diag.FamilyName(ch.Table.Family) + " " + ch.Table.Name + " " + ch.Name
		it := Item{Kind: "nft chain", Name: name}
		if ch.Hooknum != nil {
			it.Fields = append(it.Fields, Field{Name: "type", Value: diag.ChainTypeName(ch.Type)},
				Field{Name: "hook", Value: diag.HookName(ch.Table.Family, *ch.Hooknum)})
			if ch.Priority != nil {
				it.Fields = append(it.Fields, Field{Name: "priority", Value: strconv.Itoa(int(*ch.Priority))})
			}
			if ch.Policy != nil {
				it.Fields = append(it.Fields, Field{Name: "policy", Value: diag.PolicyName(*ch.Policy)})
			}
		}
		c.add(it)
		for _, r := range rs.Rules[ch] {
			c.add(Item{Kind: "nft rule", Name: name + ":", Fields: []Field{{Value: diag.RuleExprText(r), Key: true}}})
		}
	}
	return nil
}

func (c *collector) readQdiscs() error {
	qdiscs, err := nsops.RetryDump(func() ([]netlink.Qdisc, error) { return c.h.QdiscList(nil) })
	if err != nil {
		return fmt.Errorf("cannot list qdiscs, reason: %w", err)
	}
	for _, q := range qdiscs {
		a := q.Attrs()
		if q.Type() == "noqueue" {
			continue
		}
		where := "root"
		if a.Parent != netlink.HANDLE_ROOT {
			where = "parent " + netlink.HandleStr(a.Parent)
		}
		it := Item{Kind: "qdisc", Name: "dev " + c.name(a.LinkIndex) + " " + where,
			Fields: []Field{{Value: q.Type(), Key: true}, {Name: "handle", Value: netlink.HandleStr(a.Handle)}},
			// The qdisc a link gets when it comes up has no handle of
			// its own, nor have the children of a default mq.
			Kernel: a.Handle&0xffff0000 == 0 || (a.Parent != netlink.HANDLE_ROOT && a.Parent&0xffff0000 == 0)}
		if p := strings.TrimSpace(diag.QdiscParams(q)); p != "" {
			it.Fields = append(it.Fields, Field{Name: "params", Value: p})
		}
		c.add(it)
	}
	return nil
}

func (c *collector) readSysctls() error {
	return nsops.Do(c.fd, func() {
		for _, name := range c.cfg.sysctls {
			path := name
			if !strings.Contains(path, "/") {
				path = strings.ReplaceAll(path, ".", "/")
			}
			v := diag.ReadSysctl(strings.TrimPrefix(path, "net/"))
			if v == "-" {
				continue
			}
			c.add(Item{Kind: "sysctl", Name: name, Fields: []Field{{Name: "=", Value: strings.Join(strings.Fields(v), " ")}}})
		}
	})
}

func (c *collector) readSockets() error {
	socks, err := diag.ListeningSockets(c.fd)
	if err != nil {
		return fmt.Errorf("cannot list sockets, reason: %w", err)
	}
	for _, s := range socks {
		c.add(Item{Kind: "socket", Name: s.Proto + " " + s.Addr})
	}
	return nil
}

// numberDuplicates tells apart sorted items that would otherwise match the
// same item of another snapshot, such as two identical nftables rules of a
// chain: the second gets "#2" after its name, the third "#3".
func numberDuplicates(items []Item) []Item {
	seen := map[string]int{}
	for i := range items {
		id := items[i].identity()
		seen[id]++
		if n := seen[id]; n > 1 {
			items[i].Name += " #" + strconv.Itoa(n)
		}
	}
	return items
}
