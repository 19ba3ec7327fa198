package vxlan

import (
	"fmt"

	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/link"
)

// WithTTL sets the TTL (IPv6: hop limit) of the tunnel's outer packets, 1 to
// 255. Without it the kernel uses the namespace's default TTL (1 towards a
// multicast group).
func WithTTL(ttl uint8) Opt {
	return link.OptFor("WithTTL", func(vx *netlink.Vxlan) error {
		if ttl == 0 {
			return fmt.Errorf("TTL 0 would leave the kernel's default; give 1 to 255")
		}
		vx.TTL = int(ttl)
		return nil
	})
}

// WithSourcePortRange limits the UDP source ports of the tunnel's packets to
// low through high, both included. The kernel picks a port in the range by a
// hash of the inner flow, so that the underlay can spread flows; without the
// option it uses the namespace's ephemeral port range.
func WithSourcePortRange(low, high uint16) Opt {
	return link.OptFor("WithSourcePortRange", func(vx *netlink.Vxlan) error {
		if low == 0 || low > high {
			return fmt.Errorf("source ports %d to %d are no range of ports; give 1 <= low <= high", low, high)
		}
		vx.PortLow, vx.PortHigh = int(low), int(high)
		return nil
	})
}
