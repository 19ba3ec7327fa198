package link

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// waitIPv6Ready waits until the kernel has done its address work for every
// IPv6 address of the link l, which is up: each address has joined its
// solicited-node multicast group, so that a neighbour solicitation for it is
// answered. The kernel does that work in deferred work after the link comes
// up (making the link-local address then, too): a solicitation that arrives
// earlier goes unanswered, and its sender asks again only a second later.
// Where duplicate address detection is off, as in a lab's namespaces, the
// same work also ends the addresses' tentative state. Links that do no
// neighbour discovery (no multicast, or NOARP) have nothing to wait for.
func waitIPv6Ready(h *netlink.Handle, nsfd int, l netlink.Link, deadline time.Time) error {
	if flags := l.Attrs().RawFlags; flags&unix.IFF_MULTICAST == 0 || flags&unix.IFF_NOARP != 0 {
		return nil
	}
	pause := 100 * time.Microsecond
	for try := 0; ; try++ {
		pending, err := unjoined(h, l)
		if err != nil {
			return fmt.Errorf("cannot tell whether its IPv6 addresses are ready in %s: %w", nsops.Describe(nsfd), err)
		}
		if !pending.IsValid() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("IPv6 address %s has not joined its solicited-node multicast group %s in %s", pending, solicitedNode(pending), nsops.Describe(nsfd))
		}
		// The kernel queued the work on the CPU that handled the request
		// setting the link up, most likely this thread's: yielding lets it
		// run there at once, where a sleep would cost its wake-up latency
		// (hundreds of microseconds). It may also wait for the rtnl lock.
		if try < yieldTries {
			_, _, _ = unix.Syscall(unix.SYS_SCHED_YIELD, 0, 0, 0)
			continue
		}
		time.Sleep(pause)
		pause = min(2*pause, 10*time.Millisecond)
	}
}

// yieldTries is how often [waitIPv6Ready] yields the CPU before it sleeps.
const yieldTries = 20

// unjoined returns an IPv6 address of l whose solicited-node group l has not
// joined yet, or the zero Addr when there is none.
func unjoined(h *netlink.Handle, l netlink.Link) (netip.Addr, error) {
	// Both dumps race with the very work waited for, and the kernel
	// interrupts a dump whose table changes under it. Each asks for this
	// link's entries only: dumping the namespace's would make every new
	// port of a bridge pay for all the earlier ones.
	index := l.Attrs().Index
	addrs, err := nsops.RetryDump(func() ([]nsops.IfAddr, error) { return nsops.IPv6Addrs(h, index) })
	if err != nil || len(addrs) == 0 {
		return netip.Addr{}, err
	}
	groups, err := nsops.RetryDump(func() ([]netip.Addr, error) { return nsops.IPv6Groups(h, index) })
	if err != nil {
		return netip.Addr{}, err
	}
	joined := make(map[netip.Addr]bool, len(groups))
	for _, g := range groups {
		joined[g] = true
	}
	for _, a := range addrs {
		ip := a.Addr
		if !ip.Is6() || ip.Is4In6() || a.Flags&unix.IFA_F_DADFAILED != 0 {
			continue
		}
		if !joined[solicitedNode(ip)] {
			return ip, nil
		}
	}
	return netip.Addr{}, nil
}

// solicitedNode is the solicited-node multicast group of an IPv6 address
// (RFC 4291): ff02::1:ff00:0/104 with the address's last 24 bits.
func solicitedNode(ip netip.Addr) netip.Addr {
	a := ip.As16()
	return netip.AddrFrom16([16]byte{0: 0xff, 1: 0x02, 11: 0x01, 12: 0xff, 13: a[13], 14: a[14], 15: a[15]})
}
