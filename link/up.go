package link

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// DefaultUpWithin is how long [EnsureUp] waits when no duration is given.
// A link on an idle machine is UP, its IPv6 addresses ready, within a
// millisecond; the kernel's deferred work behind both waits for the RTNL
// lock, which a loaded CI machine (test binaries of many packages at once,
// or an emulated kernel) can hold off for seconds. The wait ends as soon as
// the link is ready, so the margin costs a passing test nothing.
const DefaultUpWithin = 5 * time.Second

// EnsureUp sets the link up and waits until its operational state is UP or
// UNKNOWN (the state of links without a carrier notion, such as dummy or lo;
// veth, macvlan and macvtap links must reach UP), for at most the given
// duration or [DefaultUpWithin]. It fails the spec,
// naming the operational state reached, when that does not happen in time.
//
// The link is found where it lives as [Locate] resolves it: its [Link]
// wrapper's LinkNamespace, its LinkAttrs.Namespace, or else the calling
// thread's namespace, where its Index must belong to a link of its Name. EnsureUp waits on the kernel's link
// notifications, so it returns as soon as the state changes. Once the link
// is up, it also waits until each of its IPv6 addresses has joined its
// solicited-node multicast group, which the kernel does in deferred work
// some microseconds later: until then a neighbour's solicitation for the
// address goes unanswered, and the neighbour asks again only a second later.
// Duplicate address detection, where it is on, goes on after that.
//
// A veth end only becomes UP when its peer is up too.
func EnsureUp(l netlink.Link, within ...time.Duration) {
	GinkgoHelper()
	EnsureUpT(GinkgoTB(), l, within...)
}

// EnsureAllUp sets all the links up first and then waits for each as
// [EnsureUp] does, with the default timeout. Use it for links whose state
// depends on each other, such as the two ends of a veth pair: an end only
// becomes UP once its peer is up as well.
func EnsureAllUp(links ...netlink.Link) {
	GinkgoHelper()
	EnsureAllUpT(GinkgoTB(), links...)
}

// EnsureAllUpT is [EnsureAllUp] for plain testing users.
func EnsureAllUpT(t testing.TB, links ...netlink.Link) {
	t.Helper()
	ensureUpT(t, links, DefaultUpWithin)
}

// EnsureUpT is [EnsureUp] for plain testing users.
func EnsureUpT(t testing.TB, l netlink.Link, within ...time.Duration) {
	t.Helper()
	timeout := DefaultUpWithin
	switch {
	case len(within) > 1:
		t.Fatalf("cannot bring up link %q, reason: EnsureUp takes at most one duration, not %d (%v); to bring up several links, use EnsureAllUp",
			nameOf(l), len(within), within)
	case len(within) == 1:
		timeout = within[0]
	}
	ensureUpT(t, []netlink.Link{l}, timeout)
}

func nameOf(l netlink.Link) string {
	if isNil(l) {
		return "<nil>"
	}
	return l.Attrs().Name
}

// isNil reports whether l, or the link a [Link] wrapper holds, is nil.
func isNil(l netlink.Link) bool {
	if l == nil || reflect.ValueOf(l).IsNil() {
		return true
	}
	plain, _ := Unwrap(l)
	return plain == nil || reflect.ValueOf(plain).IsNil()
}

// refOf names an existing link in messages by its quoted name and, when it
// has one, the index the helpers look it up by.
func refOf(l netlink.Link) string {
	if isNil(l) || l.Attrs().Index <= 0 {
		return fmt.Sprintf("%q", nameOf(l))
	}
	return fmt.Sprintf("%q (index %d)", l.Attrs().Name, l.Attrs().Index)
}

// ensureUpT sets all the links up first, then waits for each, through one
// netlink handle per namespace.
func ensureUpT(t testing.TB, links []netlink.Link, timeout time.Duration) {
	t.Helper()
	s := newSession()
	defer s.close()
	var waits []upWait
	for _, l := range links {
		if isNil(l) {
			t.Fatalf("cannot bring up link, reason: link is nil")
		}
		nsfd, h, assumed, err := s.forLink(l)
		var cur netlink.Link
		if err == nil {
			cur, err = setUpIn(h, nsfd, l, assumed)
		}
		if err != nil {
			t.Fatalf("cannot bring up link %s, reason: %v", refOf(l), err)
		}
		waits = append(waits, upWait{h, nsfd, cur})
	}
	if failed, err := waitAllUp(waits, timeout); err != nil {
		t.Fatalf("cannot bring up link %q, reason: %v", failed.Attrs().Name, err)
	}
}

// setUpIn sets the link up through h, a handle in its namespace nsfd, and
// returns the link as the kernel has it there; assumed is what
// [nsops.ExistingLinkNs] said of nsfd.
func setUpIn(h *netlink.Handle, nsfd int, l netlink.Link, assumed string) (netlink.Link, error) {
	plain, _ := Unwrap(l)
	cur, err := nsops.FindLink(h, nsfd, plain, assumed)
	if err != nil {
		return nil, err
	}
	if err := h.LinkSetUp(cur); err != nil {
		return nil, fmt.Errorf("cannot set it up in %s: %w", nsops.Describe(nsfd), err)
	}
	return cur, nil
}

// upWait is a link set up through h, a handle in its namespace nsfd, to be
// waited for.
type upWait struct {
	h    *netlink.Handle
	nsfd int
	l    netlink.Link
}

// waitAllUp waits until every link, already set up, is operationally up,
// each for up to timeout, and then, for up to timeout more, until the IPv6
// addresses of each are ready (see [waitIPv6Ready]): the kernel's address
// work for all of them runs while the first are waited for. On failure it
// returns the link it failed on.
func waitAllUp(waits []upWait, timeout time.Duration) (netlink.Link, error) {
	curs := make([]netlink.Link, len(waits))
	for i, w := range waits {
		cur, err := waitOperUp(w.h, w.nsfd, w.l, timeout)
		if err != nil {
			return w.l, err
		}
		curs[i] = cur
	}
	deadline := time.Now().Add(timeout)
	for i, w := range waits {
		if err := waitIPv6Ready(w.h, w.nsfd, curs[i], deadline); err != nil {
			return w.l, err
		}
	}
	return nil, nil
}

// waitOperUp waits until the link, already set up, is operationally up, and
// returns it as the kernel has it then. It only subscribes to link
// notifications when the link is not up yet, and then looks at the state
// once more, so that a change between the first look and the subscription
// is not missed.
func waitOperUp(h *netlink.Handle, nsfd int, l netlink.Link, timeout time.Duration) (netlink.Link, error) {
	index := l.Attrs().Index
	cur, err := h.LinkByIndex(index)
	if err != nil {
		return nil, err
	}
	if isUp(cur.Type(), cur.Attrs().OperState) {
		return cur, nil
	}
	sock, err := nsops.SubscribeLinksAt(nsfd)
	if err != nil {
		return nil, fmt.Errorf("cannot subscribe to link notifications in %s: %w", nsops.Describe(nsfd), err)
	}
	defer sock.Close()
	if cur, err = h.LinkByIndex(index); err != nil {
		return nil, err
	}
	state := cur.Attrs().OperState
	deadline := time.Now().Add(timeout)
	for !isUp(cur.Type(), state) {
		remaining := time.Until(deadline)
		if remaining <= 0 {
			hint := ""
			// An administratively up veth end lacks a carrier exactly while
			// its peer is down; the operational state may then read "down",
			// "lower-layer-down" or, on older kernels, still "unknown".
			if cur.Type() == "veth" && cur.Attrs().RawFlags&unix.IFF_LOWER_UP == 0 {
				hint = " (its veth peer is down: bring up both ends, e.g. with EnsureAllUp)"
			}
			return nil, fmt.Errorf("operational state still %q after %s in %s%s", state, timeout, nsops.Describe(nsfd), hint)
		}
		tv := unix.NsecToTimeval(remaining.Nanoseconds())
		if err := sock.SetReceiveTimeout(&tv); err != nil {
			return nil, err
		}
		msgs, _, err := sock.Receive()
		if err != nil {
			if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.ETIMEDOUT) || isTimeout(err) {
				continue
			}
			if errors.Is(err, unix.ENOBUFS) {
				// A burst of changes overflowed the socket and notifications
				// were lost: ask for the state instead, and go on waiting.
				if cur, err = h.LinkByIndex(index); err != nil {
					return nil, err
				}
				state = cur.Attrs().OperState
				continue
			}
			return nil, fmt.Errorf("cannot receive link notifications in %s: %w", nsops.Describe(nsfd), err)
		}
		for _, m := range msgs {
			if m.Header.Type != unix.RTM_NEWLINK {
				continue
			}
			hdr := unix.NlMsghdr(m.Header)
			upd, err := netlink.LinkDeserialize(&hdr, m.Data)
			if err != nil || upd.Attrs().Index != index {
				continue
			}
			cur, state = upd, upd.Attrs().OperState
		}
	}
	return cur, nil
}

// carrierKinds are link kinds whose drivers track a carrier, so that the
// kernel's linkwatch eventually computes an operational state of UP (or
// DOWN, LOWERLAYERDOWN) for them. Until linkwatch has run, which it may
// delay by up to a second, such a link still reports the UNKNOWN it was
// born with: older kernels (seen on Debian's 6.1) do not set the state at
// creation. For these kinds only UP counts, or EnsureUp would return on
// that stale UNKNOWN.
var carrierKinds = map[string]bool{"veth": true, "macvlan": true, "macvtap": true}

func isUp(kind string, s netlink.LinkOperState) bool {
	if carrierKinds[kind] {
		return s == netlink.OperUp
	}
	return s == netlink.OperUp || s == netlink.OperUnknown
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}
