package diag

import (
	"fmt"

	"github.com/vishvananda/netlink"
)

// counterLines shows each link's packet, byte, drop and error counters in
// both directions, as "ip -s link" does.
func counterLines(nsFd int) []string {
	return withHandle(nsFd, "counters", func(_ *netlink.Handle, links []netlink.Link) ([]string, error) {
		width := 0
		for _, l := range links {
			width = max(width, len(l.Attrs().Name))
		}
		var lines []string
		for _, l := range links {
			st := l.Attrs().Statistics
			if st == nil {
				continue
			}
			lines = append(lines, fmt.Sprintf("%-*s rx %d packets %d bytes %d dropped %d errors, tx %d packets %d bytes %d dropped %d errors",
				width+1, l.Attrs().Name+":", st.RxPackets, st.RxBytes, st.RxDropped, st.RxErrors,
				st.TxPackets, st.TxBytes, st.TxDropped, st.TxErrors))
		}
		return lines, nil
	})
}
