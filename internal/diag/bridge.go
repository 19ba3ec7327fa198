package diag

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// fdbLines lists the forwarding databases of the namespace's bridges, as
// "bridge fdb" does for bridge ports: MAC address, port, bridge, VLAN and
// whether it was learned or is the port's own. The multicast entries every
// link has of itself are left out.
func fdbLines(nsFd int) []string {
	return withHandle(nsFd, "bridge fdb", func(h *netlink.Handle, links []netlink.Link) ([]string, error) {
		names, bridges := namesOf(links), bridgesOf(links)
		if len(bridges) == 0 {
			return nil, nil
		}
		entries, err := nsops.RetryDump(func() ([]netlink.Neigh, error) { return h.NeighList(0, unix.AF_BRIDGE) })
		if err != nil {
			return nil, err
		}
		var lines []string
		for _, n := range entries {
			if !bridges[n.MasterIndex] && !bridges[n.LinkIndex] {
				continue
			}
			if n.Flags&unix.NTF_SELF != 0 && len(n.HardwareAddr) > 0 && n.HardwareAddr[0]&1 != 0 {
				continue
			}
			s := fmt.Sprintf("%s dev %s", n.HardwareAddr, nameOr(names, n.LinkIndex))
			if n.MasterIndex > 0 {
				s += " master " + nameOr(names, n.MasterIndex)
			}
			if n.Vlan > 0 {
				s += fmt.Sprintf(" vlan %d", n.Vlan)
			}
			switch {
			case n.State&unix.NUD_PERMANENT != 0:
				s += " permanent"
			case n.State&unix.NUD_NOARP != 0:
				s += " static"
			case n.State&unix.NUD_STALE != 0:
				s += " stale"
			}
			if n.Flags&unix.NTF_SELF != 0 {
				s += " self"
			}
			lines = append(lines, s)
		}
		slices.SortFunc(lines, NaturalCompare)
		return lines, nil
	})
}

// vlanLines lists the VLANs of bridges and their ports, as "bridge vlan"
// does: VLAN ids with pvid and untagged marks.
func vlanLines(nsFd int) []string {
	return withHandle(nsFd, "bridge vlans", func(h *netlink.Handle, links []netlink.Link) ([]string, error) {
		names, bridges := namesOf(links), bridgesOf(links)
		if len(bridges) == 0 {
			return nil, nil
		}
		vlans, err := h.BridgeVlanList()
		if err != nil {
			return nil, err
		}
		var lines []string
		for index, infos := range vlans {
			var ids []string
			for _, v := range infos {
				id := fmt.Sprint(v.Vid)
				if v.PortVID() {
					id += " pvid"
				}
				if v.EngressUntag() {
					id += " untagged"
				}
				ids = append(ids, id)
			}
			lines = append(lines, fmt.Sprintf("%s: %s", nameOr(names, int(index)), strings.Join(ids, ", ")))
		}
		slices.SortFunc(lines, NaturalCompare)
		return lines, nil
	})
}

// bridgesOf returns the indexes of the bridges among links.
func bridgesOf(links []netlink.Link) map[int]bool {
	bridges := map[int]bool{}
	for _, l := range links {
		if l.Type() == "bridge" {
			bridges[l.Attrs().Index] = true
		}
	}
	return bridges
}
