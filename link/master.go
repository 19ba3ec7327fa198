package link

import (
	"errors"
	"fmt"
	"net"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/internal/scope"
)

// Enslave makes port a port of master — a bridge port, a bond member, a link
// enslaved to a VRF — and releases it again when the current node's cleanup
// runs, if both still exist then and port still belongs to master. A spec
// that deletes either, or moves port elsewhere, leaves nothing to undo.
//
// Both links are found where they live as [Locate] resolves it (their
// [Link] wrapper's LinkNamespace, their LinkAttrs.Namespace, or else the
// calling thread's namespace), by an Index that must belong to a link of
// their Name there; they must be in the same namespace, as the kernel
// requires.
//
// The bonding driver refuses a member that is up and brings it up itself, so
// a port of a bond is set down first.
func Enslave(master, port netlink.Link) {
	GinkgoHelper()
	EnslaveT(GinkgoTB(), master, port)
}

// EnslaveT is [Enslave] for plain testing users.
func EnslaveT(t testing.TB, master, port netlink.Link) {
	t.Helper()
	if isNil(master) || isNil(port) {
		t.Fatalf("cannot enslave link to master, reason: master or port is nil")
	}
	e, err := enslave(master, port)
	if err != nil {
		t.Fatalf("cannot enslave link %s to master %s, reason: %v", refOf(port), refOf(master), err)
	}
	sc := scope.Of(t)
	sc.Cleanup(t, func() {
		defer unix.Close(e.nsfd)
		if sc.DiesAt(e.nsfd) {
			return
		}
		if err := e.release(t); err != nil {
			t.Errorf("cannot release link %q from master %q in %s, reason: %v",
				e.port.Attrs().Name, e.master.Attrs().Name, nsops.Describe(e.nsfd), err)
		}
	})
}

// enslavement is an enslavement to undo: the port and master as the kernel
// had them right after, and a namespace fd owned by the cleanup.
type enslavement struct {
	nsfd         int
	master, port netlink.Link
}

func enslave(master, port netlink.Link) (*enslavement, error) {
	mfd, h, m, err := locate(master)
	if err != nil {
		return nil, fmt.Errorf("master: %w", err)
	}
	defer h.Close()
	pfd, ph, p, err := locate(port)
	if err != nil {
		unix.Close(mfd)
		return nil, fmt.Errorf("port: %w", err)
	}
	ph.Close()
	defer unix.Close(pfd)
	e := &enslavement{nsfd: mfd, master: m, port: p}
	if err := e.enslave(h, pfd); err != nil {
		unix.Close(mfd)
		return nil, err
	}
	return e, nil
}

// enslave makes e.port, found in the namespace pfd refers to, a port of
// e.master through h, a handle in the master's namespace.
func (e *enslavement) enslave(h *netlink.Handle, pfd int) error {
	mino, err := nsops.Ino(e.nsfd)
	if err != nil {
		return err
	}
	if pino, err := nsops.Ino(pfd); err != nil {
		return err
	} else if pino != mino {
		return fmt.Errorf("the link lives in %s, the master in %s; a port must live in its master's namespace", nsops.DescribeIno(pino), nsops.DescribeIno(mino))
	}
	if e.master.Type() == "bond" && e.port.Attrs().Flags&net.FlagUp != 0 {
		if err := h.LinkSetDown(e.port); err != nil {
			return fmt.Errorf("cannot set it down for the bond: %w", err)
		}
	}
	return h.LinkSetMasterByIndex(e.port, e.master.Attrs().Index)
}

// release detaches the port if it still is the same link, still belongs to
// the same master, and that master still exists.
func (e *enslavement) release(t testing.TB) error {
	h, err := nsops.RouteHandleAt(e.nsfd)
	if err != nil {
		return err
	}
	defer h.Close()
	port, err := h.LinkByIndex(e.port.Attrs().Index)
	if isGone(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if port.Type() != e.port.Type() {
		return nil // the index went to another link since
	}
	switch port.Attrs().MasterIndex {
	case 0:
		return nil
	case e.master.Attrs().Index:
	default:
		t.Logf("link %q in %s now belongs to master index %d, not to %q; left it there",
			port.Attrs().Name, nsops.Describe(e.nsfd), port.Attrs().MasterIndex, e.master.Attrs().Name)
		return nil
	}
	master, err := h.LinkByIndex(e.master.Attrs().Index)
	if isGone(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if master.Type() != e.master.Type() {
		return nil
	}
	err = h.LinkSetNoMaster(port)
	if errors.Is(err, unix.ENODEV) {
		return nil
	}
	return err
}

func isGone(err error) bool {
	return errors.As(err, new(netlink.LinkNotFoundError)) || errors.Is(err, unix.ENODEV)
}
