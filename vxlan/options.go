package vxlan

import (
	"fmt"

	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/link"
)

// InNamespace creates the VXLAN link in the network namespace netnsfd refers
// to; the fd stays owned by the caller.
var InNamespace = link.InNamespace

// WithLinkNamespace looks the underlay up, and opens the tunnel's UDP socket,
// in the network namespace netnsfd refers to; without [InNamespace] the VXLAN
// link is created there too.
var WithLinkNamespace = link.WithLinkNamespace

// WithAddress adds an address such as "10.0.0.1/24" or "fd00::1/64" to the
// VXLAN link once it exists; see [link.WithAddress].
var WithAddress = link.WithAddress

// WithUp brings the VXLAN link up once it exists; see [link.WithUp].
var WithUp = link.WithUp

// WithMTU creates the link with this MTU; see [link.WithMTU].
var WithMTU = link.WithMTU

// WithHardwareAddr creates the link with this hardware address, such as
// "02:00:00:00:00:01"; see [link.WithHardwareAddr].
var WithHardwareAddr = link.WithHardwareAddr

// WithTxQLen creates the link with this transmit queue length; see
// [link.WithTxQLen].
var WithTxQLen = link.WithTxQLen

// GoesWithNamespace leaves the VXLAN link to its namespace's teardown instead
// of deleting it at cleanup; see [link.GoesWithNamespace].
var GoesWithNamespace = link.GoesWithNamespace

// WithTTL sets the TTL (IPv6: hop limit) of the tunnel's outer packets, 1 to
// 255. Without it the kernel uses the namespace's default TTL (1 towards a
// multicast group).
func WithTTL(ttl uint8) Opt {
	return link.OptFor(fmt.Sprintf("WithTTL(%v)", ttl), func(vx *netlink.Vxlan) error {
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
	return link.OptFor(fmt.Sprintf("WithSourcePortRange(%v, %v)", low, high), func(vx *netlink.Vxlan) error {
		if low == 0 || low > high {
			return fmt.Errorf("source ports %d to %d are no range of ports; give 1 <= low <= high", low, high)
		}
		vx.PortLow, vx.PortHigh = int(low), int(high)
		return nil
	})
}
