package snapshot

import (
	"fmt"
	"slices"
	"strings"
)

// A Section is a part of a namespace's state that a snapshot can hold; an
// item's kind starts with its section's name.
type Section string

// The sections, in the order a snapshot lists them.
const (
	// Links are the network interfaces: name, kind, the peer of a veth in
	// the same namespace, whether it is up, MTU and master.
	Links Section = "link"
	// Addresses are the interfaces' addresses; an IPv6 link-local address
	// that the kernel derived from a MAC (fe80::/64 in EUI-64 form) is
	// folded into its link, shown by no line of its own.
	Addresses Section = "address"
	// Routes are the routes of every table.
	Routes Section = "route"
	// Rules are the policy routing rules, IPv4 and IPv6.
	Rules Section = "rule"
	// Neighbours are the permanent ARP and NDP entries (all of them with
	// [AllNeighbours]).
	Neighbours Section = "neighbour"
	// Nftables are the nftables tables, chains (with hook, priority and
	// policy) and rules (their expressions as text, without counts). A
	// kernel without nf_tables, or a process without CAP_NET_ADMIN in the
	// namespace's user namespace, gives none.
	Nftables Section = "nft"
	// Qdiscs are the queueing disciplines with their parameters.
	Qdiscs Section = "qdisc"
	// Sysctls are the values of [DefaultSysctls] and of those added with
	// [WithSysctls].
	Sysctls Section = "sysctl"
	// Sockets are the listening TCP sockets and unconnected UDP sockets.
	Sockets Section = "socket"
)

var allSections = []Section{Links, Addresses, Routes, Rules, Neighbours, Nftables, Qdiscs, Sysctls, Sockets}

func sectionOf(kind string) Section {
	first, _, _ := strings.Cut(kind, " ")
	return Section(first)
}

func sectionIndex(kind string) int { return slices.Index(allSections, sectionOf(kind)) }

// DefaultSysctls are the sysctls a snapshot reads unless told otherwise,
// under /proc/sys/net, named as sysctl names them: forwarding, reverse path
// filtering, IPv6 being off, duplicate address detection, proxy ARP, the
// local port range and who may ping or bind low ports. Writing an "all"
// value of forwarding or disable_ipv6 also changes the "default" one and
// every interface's, so only the first is read: one change, one line.
var DefaultSysctls = []string{
	"net.ipv4.ip_forward",
	"net.ipv4.conf.all.rp_filter",
	"net.ipv4.conf.default.rp_filter",
	"net.ipv4.conf.all.proxy_arp",
	"net.ipv4.conf.all.route_localnet",
	"net.ipv4.ip_local_port_range",
	"net.ipv4.ping_group_range",
	"net.ipv4.ip_unprivileged_port_start",
	"net.ipv6.conf.all.forwarding",
	"net.ipv6.conf.all.disable_ipv6",
	"net.ipv6.conf.default.accept_dad",
}

type config struct {
	sections      []Section
	sysctls       []string
	allNeighbours bool
	keepKernel    bool
	prefixes      []string
}

// An Option changes what a snapshot holds. Options apply in order.
type Option func(*config) error

func configure(opts []Option) (config, error) {
	cfg := config{sections: allSections, sysctls: DefaultSysctls}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

func (c config) has(s Section) bool { return slices.Contains(c.sections, s) }

func checkSections(option string, sections []Section) error {
	for _, s := range sections {
		if !slices.Contains(allSections, s) {
			return fmt.Errorf("cannot apply option %s for section %q, reason: there is no such section", option, s)
		}
	}
	return nil
}

// Only has the snapshot hold just the sections listed.
func Only(sections ...Section) Option {
	return func(c *config) error {
		if err := checkSections("Only", sections); err != nil {
			return err
		}
		c.sections = slices.DeleteFunc(slices.Clone(allSections), func(s Section) bool { return !slices.Contains(sections, s) })
		return nil
	}
}

// Without leaves the sections listed out of the snapshot.
func Without(sections ...Section) Option {
	return func(c *config) error {
		if err := checkSections("Without", sections); err != nil {
			return err
		}
		c.sections = slices.DeleteFunc(slices.Clone(c.sections), func(s Section) bool { return slices.Contains(sections, s) })
		return nil
	}
}

// WithSysctls adds sysctls to those the snapshot reads, named as sysctl
// names them ("net.ipv4.conf.eth0.rp_filter"), or as paths under
// /proc/sys ("net/ipv4/conf/eth0.100/rp_filter") when a part holds a dot.
// One that does not exist (an interface's, once the interface is gone) is
// left out of the snapshot.
func WithSysctls(names ...string) Option {
	return func(c *config) error {
		for _, n := range names {
			if !strings.HasPrefix(n, "net.") && !strings.HasPrefix(n, "net/") {
				return fmt.Errorf("cannot apply option WithSysctls for sysctl %q, reason: only sysctls under net are per namespace", n)
			}
		}
		c.sysctls = append(slices.Clone(c.sysctls), names...)
		return nil
	}
}

// AllNeighbours has the snapshot hold every neighbour entry with its
// state, not only the permanent ones. Entries the kernel learns come and
// go with traffic: diffs of such snapshots show that too.
func AllNeighbours() Option {
	return func(c *config) error {
		c.allNeighbours = true
		return nil
	}
}

// KeepKernelItems has the snapshot hold what the kernel made by itself,
// each item marked "(kernel)": routes of proto kernel, those of the local
// table, fe80::/64 and ff00::/8, the default policy rules, the default
// qdiscs, and the fallback links of tunnel modules (tunl0, sit0, gre0 ...)
// that every new namespace gets once such a module is loaded. Without it they are left out: each follows from an address or a
// link that the snapshot holds, and would turn one change into several
// lines of a diff.
func KeepKernelItems() Option {
	return func(c *config) error {
		c.keepKernel = true
		return nil
	}
}

// TransientNames has links whose names start with one of the prefixes
// named by the prefix and "*" (then "*1", "*2" ... in the order the kernel
// made them, when several share a prefix), wherever the snapshot names
// them: in routes, neighbours and qdiscs too. Two snapshots of links
// created under random names, such as veth.NewTransient's, then match.
func TransientNames(prefixes ...string) Option {
	return func(c *config) error {
		for _, p := range prefixes {
			if p == "" {
				return fmt.Errorf("cannot apply option TransientNames for prefix %q, reason: an empty prefix would rename every link", p)
			}
		}
		c.prefixes = append(slices.Clone(c.prefixes), prefixes...)
		return nil
	}
}
