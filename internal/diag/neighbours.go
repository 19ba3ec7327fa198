package diag

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// neighbourLines lists the ARP and NDP caches as "ip neigh" does: address,
// link, link-layer address and state; entries without ARP (multicast,
// loopback) are left out.
func neighbourLines(nsFd int) []string {
	return withHandle(nsFd, "neighbours", func(h *netlink.Handle, links []netlink.Link) ([]string, error) {
		names := namesOf(links)
		neighs, err := Neighbours(h)
		if err != nil {
			return nil, err
		}
		var lines []string
		for _, n := range neighs {
			s := fmt.Sprintf("%s dev %s", n.IP, nameOr(names, n.LinkIndex))
			if len(n.HardwareAddr) > 0 {
				s += " lladdr " + n.HardwareAddr.String()
			}
			if n.Flags&unix.NTF_ROUTER != 0 {
				s += " router"
			}
			lines = append(lines, s+" "+NeighState(n.State))
		}
		slices.SortFunc(lines, NaturalCompare)
		return lines, nil
	})
}

// Neighbours lists the IPv4 and IPv6 neighbour entries of h's namespace,
// leaving out those without ARP (multicast, loopback).
func Neighbours(h *netlink.Handle) ([]netlink.Neigh, error) {
	var all []netlink.Neigh
	for _, family := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		neighs, err := nsops.RetryDump(func() ([]netlink.Neigh, error) { return h.NeighList(0, family) })
		if err != nil {
			return nil, err
		}
		for _, n := range neighs {
			if n.State&unix.NUD_NOARP == 0 {
				all = append(all, n)
			}
		}
	}
	return all, nil
}

var neighStates = []struct {
	bit  int
	name string
}{
	{unix.NUD_INCOMPLETE, "INCOMPLETE"}, {unix.NUD_REACHABLE, "REACHABLE"}, {unix.NUD_STALE, "STALE"},
	{unix.NUD_DELAY, "DELAY"}, {unix.NUD_PROBE, "PROBE"}, {unix.NUD_FAILED, "FAILED"},
	{unix.NUD_NOARP, "NOARP"}, {unix.NUD_PERMANENT, "PERMANENT"},
}

// NeighState names the NUD_* bits of state as "ip neigh" does, such as
// "REACHABLE" or "PERMANENT".
func NeighState(state int) string {
	var out []string
	for _, s := range neighStates {
		if state&s.bit != 0 {
			out = append(out, s.name)
		}
	}
	if len(out) == 0 {
		return "NONE"
	}
	return strings.Join(out, ",")
}
