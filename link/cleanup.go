package link

import (
	"bytes"
	"errors"
	"net"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/internal/scope"
)

// registerCleanup arranges for the link to be deleted at cleanup. It keeps a
// reference of its own to the link's namespace: the cleanup runs on another
// goroutine and thread, possibly after the caller's fd is closed, and must
// still find the namespace the link was made in.
//
// When every namespace of diesWith is a transient one whose teardown follows
// in the same scope (see package scope), the link is left to that teardown:
// the kernel removes a dying namespace's links in one batch, while deleting
// one costs an RCU grace period. Such a link registers no cleanup of its own
// (a cleanup node costs Ginkgo about as much as the rest of the link's
// creation); should one of its namespaces stop dying with the scope before
// it is closed (something of another scope took a hold on it), the link is
// deleted just before the first of them is closed. Otherwise the cleanup
// decides when it runs, and an empty diesWith always deletes explicitly.
func registerCleanup(t testing.TB, nsfd int, l netlink.Link, kind string, diesWith []uint64) error {
	own, err := nsops.Dup(nsfd)
	if err != nil {
		return err
	}
	index, name, mac := l.Attrs().Index, l.Attrs().Name, l.Attrs().HardwareAddr
	del := func() {
		if err := deleteIfOurs(t, own, index, name, mac, kind); err != nil {
			t.Errorf("cannot delete transient link %q (index %d) in %s, reason: %v", name, index, nsops.Describe(own), err)
		}
	}
	sc := scope.Of(t)
	left := sc.LeaveTo(diesWith, func(outlives bool) {
		defer unix.Close(own)
		if outlives {
			del()
		}
	})
	if left {
		return nil
	}
	sc.Cleanup(t, func() {
		defer unix.Close(own)
		if !sc.Dies(diesWith...) {
			del()
		}
	})
	return nil
}

// deleteIfOurs deletes the link with the given index if it still is the link
// created as name of that kind with hardware address mac. Anything else found
// is left alone and reported in the log: a spec may have deleted, moved or
// renamed its link, and another link may have taken the old name, or the old
// index (a link request may ask for a given index), since.
func deleteIfOurs(t testing.TB, nsfd, index int, name string, mac net.HardwareAddr, kind string) error {
	h, err := nsops.RouteHandleAt(nsfd)
	if err != nil {
		return err
	}
	defer h.Close()
	l, err := h.LinkByIndex(index)
	if errors.As(err, new(netlink.LinkNotFoundError)) || errors.Is(err, unix.ENODEV) {
		if other, err := h.LinkByName(name); err == nil {
			t.Logf("transient link %q (index %d) is gone from %s; left link %q (index %d) that now has its name alone",
				name, index, nsops.Describe(nsfd), name, other.Attrs().Index)
		}
		return nil
	}
	if err != nil {
		return err
	}
	if l.Type() != kind {
		t.Logf("index %d in %s now belongs to link %q of type %q, not to transient link %q of type %q; left it alone",
			index, nsops.Describe(nsfd), l.Attrs().Name, l.Type(), name, kind)
		return nil
	}
	if l.Attrs().Name != name && !bytes.Equal(l.Attrs().HardwareAddr, mac) {
		// Neither its name nor its address is the one created: a link that
		// took the index, or one the spec both renamed and readdressed.
		// Deleting a stranger is worse than leaving one behind.
		t.Logf("index %d in %s now belongs to link %q (%s), not to transient link %q (%s); left it alone",
			index, nsops.Describe(nsfd), l.Attrs().Name, l.Attrs().HardwareAddr, name, mac)
		return nil
	}
	if l.Attrs().Name != name {
		t.Logf("transient link %q (index %d) in %s was renamed to %q; deleting it by index",
			name, index, nsops.Describe(nsfd), l.Attrs().Name)
	}
	err = h.LinkDel(l)
	if errors.Is(err, unix.ENODEV) {
		return nil
	}
	return err
}
