package impair

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// The handles of a port's impairment: an htb root ("5c15:") whose class
// 5c15:1 gets the port's packets, and below that class the impairment's own
// queueing disciplines ("5c16:" and, under netem's class, "5c17:").
var (
	portRoot       = netlink.MakeHandle(0x5c15, 0)
	portClass      = netlink.MakeHandle(0x5c15, 1)
	portFirst      = netlink.MakeHandle(0x5c16, 0)
	portNetemClass = netlink.MakeHandle(0x5c16, 1)
	portSecond     = netlink.MakeHandle(0x5c17, 0)
)

// portClassRate is the rate of the port's htb class, far above what a veth
// carries here, so that only the impairment's own qdiscs shape the port.
const portClassRate = 10_000_000_000 // bits per second

// AddPort impairs, as opts say, only the TCP segments that the link of this
// index in the network namespace nsfd refers to sends from or to port
// (either the source or the destination port), and returns what the
// impairment does in tc's terms. Other packets pass unimpaired: an htb root
// queueing discipline sends unclassified packets straight on, and u32
// filters (IPv4, and IPv6 without extension headers) send the port's
// segments to a class holding the impairment's netem and tbf.
//
// It is for helpers that impair and heal at times of their own, such as the
// faults of package fault: it returns an error instead of failing a test,
// and it registers no cleanup, so the caller must remove the impairment with
// [RemovePort]. If it cannot add everything, nothing stays. A root queueing
// discipline other than the kernel's default makes it fail, as [Link] does:
// a link has one port impairment at a time, and none while [Link] impairs
// it. The fd stays owned by the caller.
func AddPort(nsfd, index int, port uint16, opts ...Opt) (string, error) {
	cfg, err := build(opts)
	if err == nil && port == 0 {
		err = errors.New("tcp port 0 matches nothing")
	}
	if err == nil && cfg.netem == nil && cfg.rate == 0 {
		err = errors.New("no impairment given")
	}
	if err != nil {
		return "", fmt.Errorf("cannot impair tcp port %d of link index %d in %s, reason: %v", port, index, nsops.Describe(nsfd), err)
	}
	desc := cfg.describe()
	if err := addPort(nsfd, index, port, cfg); err != nil {
		return "", fmt.Errorf("cannot impair tcp port %d of link index %d in %s with %s, reason: %v", port, index, nsops.Describe(nsfd), desc, err)
	}
	return desc, nil
}

func addPort(nsfd, index int, port uint16, cfg *config) error {
	h, err := nsops.RouteHandleAt(nsfd)
	if err != nil {
		return err
	}
	defer h.Close()
	dev := &netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: index}}
	qdiscs, err := nsops.RetryDump(func() ([]netlink.Qdisc, error) { return h.QdiscList(dev) })
	if err != nil {
		return err
	}
	for _, q := range qdiscs {
		if q.Attrs().Parent == netlink.HANDLE_ROOT && q.Attrs().Handle != 0 {
			return fmt.Errorf("the link has a root qdisc %q (handle %s) besides the kernel's default",
				q.Type(), netlink.HandleStr(q.Attrs().Handle))
		}
	}
	root := netlink.NewHtb(netlink.QdiscAttrs{LinkIndex: index, Parent: netlink.HANDLE_ROOT, Handle: portRoot})
	if err := h.QdiscAdd(root); err != nil {
		return explain("htb", err)
	}
	if err := fillPort(h, index, port, cfg); err != nil {
		// Deleting the root deletes everything below it.
		if derr := h.QdiscDel(root); derr != nil {
			return fmt.Errorf("%w, and cannot delete the htb root again: %v", err, derr)
		}
		return err
	}
	return nil
}

// fillPort adds the class, the impairment's qdiscs and the filters under
// the port's htb root.
func fillPort(h *netlink.Handle, index int, port uint16, cfg *config) error {
	class := netlink.NewHtbClass(netlink.ClassAttrs{LinkIndex: index, Parent: portRoot, Handle: portClass},
		netlink.HtbClassAttrs{Rate: portClassRate, Quantum: 60000})
	if err := h.ClassAdd(class); err != nil {
		return fmt.Errorf("cannot add htb class, reason: %w", err)
	}
	for _, q := range cfg.qdiscsAt(index, portClass, portFirst, portNetemClass, portSecond) {
		if err := h.QdiscAdd(q); err != nil {
			return explain(q.Type(), err)
		}
	}
	for n, f := range portFilters(index, port) {
		f.Priority = uint16(n + 1)
		if err := h.FilterAdd(f); err != nil {
			return fmt.Errorf("cannot add u32 filter for the port, reason: %w", err)
		}
	}
	return nil
}

// portFilters returns u32 filters that send TCP segments from or to port
// to the port's class: for IPv4 (without IP options) and IPv6 (without
// extension headers), one for each of the source and destination port.
// Keys are in host byte order; netlink turns them around.
func portFilters(index int, port uint16) []*netlink.U32 {
	type family struct {
		proto         uint16
		tcp           netlink.TcU32Key // the header's protocol field is TCP
		portsAtOffset int32
	}
	families := []family{
		{unix.ETH_P_IP, netlink.TcU32Key{Mask: 0x00ff0000, Val: unix.IPPROTO_TCP << 16, Off: 8}, 20},
		{unix.ETH_P_IPV6, netlink.TcU32Key{Mask: 0x0000ff00, Val: unix.IPPROTO_TCP << 8, Off: 4}, 40},
	}
	var out []*netlink.U32
	for _, fam := range families {
		for _, ports := range []netlink.TcU32Key{
			{Mask: 0xffff0000, Val: uint32(port) << 16}, // source port
			{Mask: 0x0000ffff, Val: uint32(port)},       // destination port
		} {
			ports.Off = fam.portsAtOffset
			out = append(out, &netlink.U32{
				FilterAttrs: netlink.FilterAttrs{LinkIndex: index, Parent: portRoot, Protocol: fam.proto},
				ClassId:     portClass,
				Sel: &netlink.TcU32Sel{Flags: netlink.TC_U32_TERMINAL, Nkeys: 2,
					Keys: []netlink.TcU32Key{fam.tcp, ports}},
			})
		}
	}
	return out
}

// RemovePort removes what [AddPort] put on the link of this index in the
// network namespace nsfd refers to: its htb root and everything below it.
// The link gets the kernel's default queueing discipline back. A link that
// is gone, or has no port impairment, is fine.
func RemovePort(nsfd, index int) error {
	h, err := nsops.RouteHandleAt(nsfd)
	if err != nil {
		return fmt.Errorf("cannot remove port impairment from link index %d in %s, reason: %v", index, nsops.Describe(nsfd), err)
	}
	defer h.Close()
	qdiscs, err := nsops.RetryDump(func() ([]netlink.Qdisc, error) {
		return h.QdiscList(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: index}})
	})
	for _, q := range qdiscs {
		if err == nil && q.Attrs().Parent == netlink.HANDLE_ROOT && q.Attrs().Handle == portRoot {
			err = h.QdiscDel(q)
		}
	}
	if err != nil && !errors.Is(err, unix.ENODEV) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("cannot remove port impairment from link index %d in %s, reason: %v", index, nsops.Describe(nsfd), err)
	}
	return nil
}

// Summary tells what an impairment of opts does, in tc's terms, such as
// "netem delay 50ms" or "tbf rate 1Mbit burst 6056B", without impairing
// anything; it fails as [Link] would for options that make no sense.
func Summary(opts ...Opt) (string, error) {
	cfg, err := build(opts)
	if err != nil {
		return "", err
	}
	return cfg.describe(), nil
}
