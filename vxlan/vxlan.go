package vxlan

import (
	"fmt"
	"net"
	"net/netip"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/link"
)

// VxlanPrefix starts the names of transient VXLAN links.
const VxlanPrefix = "vxlan-"

// DefaultVNI is the VXLAN network identifier unless [WithVNI] says otherwise.
const DefaultVNI = 42

// DefaultDestinationPort is the UDP port VXLAN packets are sent to unless
// [WithDestinationPort] says otherwise: the IANA-assigned VXLAN port.
const DefaultDestinationPort = 4789

// maxVNI is the highest 24-bit VXLAN network identifier.
const maxVNI = 1<<24 - 1

// Opt configures a VXLAN link before it is created; see the link package.
type Opt = link.Opt

// WithVNI sets the VXLAN network identifier, 0 to 16777215.
func WithVNI(vni uint32) Opt {
	return link.OptFor(fmt.Sprintf("WithVNI(%v)", vni), func(vx *netlink.Vxlan) error {
		if vni > maxVNI {
			return fmt.Errorf("VNI %d is not a 24-bit number (at most %d)", vni, maxVNI)
		}
		vx.VxlanId = int(vni)
		return nil
	})
}

// WithDestinationPort sets the UDP port VXLAN packets are sent to.
func WithDestinationPort(port uint16) Opt {
	return link.OptFor(fmt.Sprintf("WithDestinationPort(%v)", port), func(vx *netlink.Vxlan) error {
		if port == 0 {
			return fmt.Errorf("destination port 0 is not a port")
		}
		vx.Port = int(port)
		return nil
	})
}

// WithLocal sets the source address of the tunnel's packets, an IPv4 or IPv6
// unicast address such as "192.0.2.1".
func WithLocal(addr string) Opt {
	return link.OptFor(fmt.Sprintf("WithLocal(%q)", addr), func(vx *netlink.Vxlan) error {
		ip, err := parseIP(addr)
		if err != nil {
			return err
		}
		if !ip.IsValid() || ip.IsMulticast() || ip.IsUnspecified() {
			return fmt.Errorf("%q is not a unicast address", addr)
		}
		vx.SrcAddr = net.IP(ip.AsSlice())
		return nil
	})
}

// WithRemote sends the tunnel's packets to a single remote unicast address,
// such as "192.0.2.2". It excludes [WithGroup].
func WithRemote(addr string) Opt {
	return link.OptFor(fmt.Sprintf("WithRemote(%q)", addr), func(vx *netlink.Vxlan) error {
		ip, err := parseIP(addr)
		if err != nil {
			return err
		}
		if ip.IsMulticast() || ip.IsUnspecified() {
			return fmt.Errorf("%q is not a unicast address; use WithGroup for a multicast group", addr)
		}
		return setGroup(vx, ip)
	})
}

// WithGroup sends the tunnel's broadcast, unknown-unicast and multicast
// packets to a multicast group, such as "239.1.1.1", joined on the underlay.
// It excludes [WithRemote].
func WithGroup(addr string) Opt {
	return link.OptFor(fmt.Sprintf("WithGroup(%q)", addr), func(vx *netlink.Vxlan) error {
		ip, err := parseIP(addr)
		if err != nil {
			return err
		}
		if !ip.IsMulticast() {
			return fmt.Errorf("%q is not a multicast address; use WithRemote for a unicast peer", addr)
		}
		return setGroup(vx, ip)
	})
}

// WithLearning switches learning of remote addresses from received packets
// on or off; it is on unless switched off.
func WithLearning(on bool) Opt {
	return link.OptFor(fmt.Sprintf("WithLearning(%t)", on), func(vx *netlink.Vxlan) error {
		vx.Learning = on
		return nil
	})
}

func parseIP(addr string) (netip.Addr, error) {
	ip, err := netip.ParseAddr(addr)
	if err != nil || ip.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("%q is not an IPv4 or IPv6 address", addr)
	}
	return ip.Unmap(), nil
}

// setGroup sets the one destination the kernel keeps for remote and group
// alike (IFLA_VXLAN_GROUP), refusing to overwrite one set before.
func setGroup(vx *netlink.Vxlan, ip netip.Addr) error {
	if vx.Group != nil {
		return fmt.Errorf("destination already set to %s; WithRemote and WithGroup exclude each other", vx.Group)
	}
	vx.Group = net.IP(ip.AsSlice())
	return nil
}

// NewTransient creates a transient VXLAN link sending through underlay, and
// returns it with its Index in the namespace where it ended up. It is deleted
// when the current node's cleanup runs.
//
// underlay must live in the namespace named by [WithLinkNamespace], or in the
// calling thread's namespace when that option is not given.
func NewTransient(underlay netlink.Link, opts ...Opt) netlink.Link {
	GinkgoHelper()
	return NewTransientT(GinkgoTB(), underlay, opts...)
}

// NewTransientT is [NewTransient] for plain testing users.
func NewTransientT(t testing.TB, underlay netlink.Link, opts ...Opt) netlink.Link {
	t.Helper()
	tmpl := &netlink.Vxlan{VxlanId: DefaultVNI, Port: DefaultDestinationPort, Learning: true}
	return link.NewStackedT(t, tmpl, VxlanPrefix, underlay, opts...)
}
