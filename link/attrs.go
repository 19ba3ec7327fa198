package link

import (
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
)

// WithMTU creates the link with this MTU. For a veth pair both ends get it,
// unless the template sets the peer's own (netlink.Veth.PeerMTU). The kernel
// refuses an MTU outside what the kind allows (for Ethernet-like links 68 to
// 65535, and for stacked links at most the parent's), and creation then
// fails with its answer.
func WithMTU(mtu int) Opt {
	return func(l *Link) error {
		if mtu <= 0 {
			return fmt.Errorf("WithMTU(%d): an MTU is a positive number of bytes", mtu)
		}
		l.Attrs().MTU = mtu
		return nil
	}
}

// WithHardwareAddr creates the link with this hardware address, such as
// "02:00:00:00:00:01" (a locally administered unicast address is the safe
// choice). For a veth pair it applies to the first end only.
func WithHardwareAddr(mac string) Opt {
	return func(l *Link) error {
		hw, err := net.ParseMAC(mac)
		if err != nil {
			return fmt.Errorf("WithHardwareAddr(%q): %w", mac, err)
		}
		l.Attrs().HardwareAddr = hw
		return nil
	}
}

// WithTxQLen creates the link with this transmit queue length (txqueuelen),
// in packets. For a veth pair both ends get it, unless the template sets
// the peer's own (netlink.Veth.PeerTxQLen).
func WithTxQLen(qlen int) Opt {
	return func(l *Link) error {
		if qlen < 0 {
			return fmt.Errorf("WithTxQLen(%d): a queue length cannot be negative", qlen)
		}
		l.Attrs().TxQLen = qlen
		return nil
	}
}

// setTuntapAttrs gives a new tun or tap device the MTU, transmit queue
// length and hardware address its template asks for: the kernel creates
// these devices through an ioctl that carries none of them, so they are set
// once the device exists, through h bound to its namespace.
func setTuntapAttrs(h *netlink.Handle, tt *netlink.Tuntap) error {
	dev, err := h.LinkByName(tt.Name)
	if err != nil {
		return err
	}
	if err := setAttrs(h, dev, tt.Attrs()); err != nil {
		// The device is the one just made (IFF_TUN_EXCL): nothing would
		// clean it up once creation fails.
		_ = h.LinkDel(dev)
		return err
	}
	return nil
}

func setAttrs(h *netlink.Handle, dev netlink.Link, a *netlink.LinkAttrs) error {
	if a.MTU > 0 {
		if err := h.LinkSetMTU(dev, a.MTU); err != nil {
			return fmt.Errorf("cannot set MTU %d: %w", a.MTU, err)
		}
	}
	if a.TxQLen > 0 {
		if err := h.LinkSetTxQLen(dev, a.TxQLen); err != nil {
			return fmt.Errorf("cannot set txqueuelen %d: %w", a.TxQLen, err)
		}
	}
	if len(a.HardwareAddr) > 0 {
		if err := h.LinkSetHardwareAddr(dev, a.HardwareAddr); err != nil {
			return fmt.Errorf("cannot set hardware address %s: %w", a.HardwareAddr, err)
		}
	}
	return nil
}
