package impair

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/internal/scope"
	"github.com/scratchnet/scratchnet/link"
)

// The handles of the library's queueing disciplines: the root one ("5c13:")
// and, when netem and tbf are combined, tbf under netem's class ("5c14:").
// A root qdisc with another non-zero handle was put there by someone else.
var (
	rootHandle  = netlink.MakeHandle(0x5c13, 0)
	netemClass  = netlink.MakeHandle(0x5c13, 1)
	childHandle = netlink.MakeHandle(0x5c14, 0)
)

// Impairment is the impairment of what one link end sends: queueing
// disciplines on the link's egress, which the library put there and removes
// again. Packets the link receives are not affected; impair both ends of a
// veth pair to impair both directions.
type Impairment struct {
	t     testing.TB
	name  string
	index int
	nsfd  int // the library's own reference to the link's namespace

	mu   sync.Mutex
	desc string
}

// Link impairs what the existing link l sends, as opts say, and returns the
// impairment, which [Impairment.Change] and [Impairment.Remove] alter later.
// l is found where it lives as link.Locate resolves it: its link.Link
// wrapper's LinkNamespace (see link.WrapWithLinkNamespace), its
// LinkAttrs.Namespace, or else the calling thread's namespace, by an Index
// that must belong to a link of its Name there (else by its Name). Without
// options the link stays unimpaired until Change.
//
// The link's root queueing discipline is replaced by netem (for [Delay],
// [Loss], [Duplicate], [Reorder], [Corrupt], [NetemRate]), by tbf (for
// [Rate]), or by netem with tbf below it. A root queueing discipline that
// someone else added is not replaced: Link fails instead.
//
// At the end of the current node the impairment is removed, unless the
// link's namespace is a transient one that is torn down in the same scope:
// then it goes with the namespace.
func Link(l netlink.Link, opts ...Opt) *Impairment {
	GinkgoHelper()
	return LinkT(GinkgoTB(), l, opts...)
}

// LinkT is [Link] for plain testing users; the impairment is removed through
// t.Cleanup, and the returned Impairment reports its failures to t.
func LinkT(t testing.TB, l netlink.Link, opts ...Opt) *Impairment {
	t.Helper()
	if l == nil || reflect.ValueOf(l).IsNil() {
		t.Fatalf("cannot impair link, reason: link is nil")
	}
	name := l.Attrs().Name
	cfg, err := build(opts)
	if err != nil {
		t.Fatalf("cannot impair link %q, reason: %v", name, err)
	}
	nsfd, cur, err := link.Locate(l)
	if err != nil {
		t.Fatalf("cannot impair link %q (index %d), reason: %v", name, l.Attrs().Index, err)
	}
	imp := &Impairment{t: t, name: cur.Attrs().Name, index: cur.Attrs().Index, nsfd: nsfd}
	if err := imp.apply(cfg); err != nil {
		unix.Close(nsfd)
		t.Fatalf("cannot impair link %q in %s with %s, reason: %v", imp.name, nsops.Describe(nsfd), cfg.describe(), err)
	}
	sc := scope.Of(t)
	sc.Cleanup(t, func() {
		defer unix.Close(nsfd)
		if sc.DiesAt(nsfd) {
			return
		}
		if err := imp.clear(); err != nil {
			t.Errorf("cannot remove impairment from link %q (index %d) in %s, reason: %v",
				imp.name, imp.index, nsops.Describe(nsfd), err)
		}
	})
	return imp
}

// Change replaces the impairment with the one opts describe, from scratch:
// properties not given again are gone. Without options it is [Remove].
func (i *Impairment) Change(opts ...Opt) {
	i.t.Helper()
	cfg, err := build(opts)
	if err != nil {
		i.t.Fatalf("cannot change impairment of link %q, reason: %v", i.name, err)
	}
	if err := i.apply(cfg); err != nil {
		i.t.Fatalf("cannot change impairment of link %q in %s to %s, reason: %v", i.name, nsops.Describe(i.nsfd), cfg.describe(), err)
	}
}

// Remove removes the impairment: the link gets the kernel's default queueing
// discipline back. [Impairment.Change] can impair it again.
func (i *Impairment) Remove() {
	i.t.Helper()
	if err := i.clear(); err != nil {
		i.t.Fatalf("cannot remove impairment from link %q in %s, reason: %v", i.name, nsops.Describe(i.nsfd), err)
	}
}

// String tells what the impairment does now, in tc's terms, such as
// "netem delay 50ms" or "tbf rate 1Mbit burst 6056B"; it is "none" while
// the link is not impaired.
func (i *Impairment) String() string {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.desc == "" {
		return "none"
	}
	return i.desc
}

// Active reports whether the link is impaired now.
func (i *Impairment) Active() bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.desc != ""
}

func build(opts []Opt) (*config, error) {
	cfg := &config{}
	for n, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("option %d is nil", n+1)
		}
		if err := opt(cfg); err != nil {
			return nil, err
		}
	}
	return cfg, cfg.check()
}

// apply replaces the library's queueing disciplines on the link with those
// cfg asks for; if the new ones cannot all be added, none stays.
func (i *Impairment) apply(cfg *config) error {
	h, err := nsops.RouteHandleAt(i.nsfd)
	if err != nil {
		return err
	}
	defer h.Close()
	root, err := i.root(h)
	if err != nil {
		return err
	}
	if root != nil && root.Attrs().Handle != rootHandle && root.Attrs().Handle != 0 {
		return fmt.Errorf("the link has a root qdisc %q (handle %s) that the library did not add",
			root.Type(), netlink.HandleStr(root.Attrs().Handle))
	}
	if err := i.clearWith(h); err != nil {
		return err
	}
	qdiscs := cfg.qdiscs(i.index)
	for n, q := range qdiscs {
		if err := h.QdiscAdd(q); err != nil {
			if n > 0 {
				_ = h.QdiscDel(qdiscs[0])
			}
			return explain(q.Type(), err)
		}
	}
	i.mu.Lock()
	i.desc = cfg.describe()
	i.mu.Unlock()
	return nil
}

func (i *Impairment) clear() error {
	h, err := nsops.RouteHandleAt(i.nsfd)
	if err != nil {
		return err
	}
	defer h.Close()
	return i.clearWith(h)
}

// clearWith deletes the library's root queueing discipline (and with it any
// below it); a link that is gone, or has none, is fine.
func (i *Impairment) clearWith(h *netlink.Handle) error {
	root, err := i.root(h)
	if err == nil && root != nil && root.Attrs().Handle == rootHandle {
		err = h.QdiscDel(root)
	}
	if err != nil && !errors.Is(err, unix.ENODEV) && !errors.Is(err, unix.ENOENT) {
		return err
	}
	i.mu.Lock()
	i.desc = ""
	i.mu.Unlock()
	return nil
}

// root returns the link's root queueing discipline, or nil.
func (i *Impairment) root(h *netlink.Handle) (netlink.Qdisc, error) {
	qdiscs, err := nsops.RetryDump(func() ([]netlink.Qdisc, error) {
		return h.QdiscList(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: i.index}})
	})
	if err != nil {
		return nil, err
	}
	for _, q := range qdiscs {
		if q.Attrs().Parent == netlink.HANDLE_ROOT {
			return q, nil
		}
	}
	return nil, nil
}

// qdiscs returns the queueing disciplines cfg needs, root first.
func (c *config) qdiscs(index int) []netlink.Qdisc {
	return c.qdiscsAt(index, netlink.HANDLE_ROOT, rootHandle, netemClass, childHandle)
}

// qdiscsAt returns the queueing disciplines cfg needs, the first one at
// parent with the given handle; when there are two, the second one has
// handle second, under the first one's class netemClass.
func (c *config) qdiscsAt(index int, parent, handle, netemClass, second uint32) []netlink.Qdisc {
	var out []netlink.Qdisc
	if c.netem != nil {
		out = append(out, netlink.NewNetem(netlink.QdiscAttrs{LinkIndex: index, Parent: parent, Handle: handle}, *c.netem))
		parent, handle = netemClass, second
	}
	if c.rate > 0 {
		bytesPerSecond := c.rate / 8
		burst := c.burstBytes()
		// The queue holds 50 ms at the rate, on top of the burst.
		limit := min(bytesPerSecond/20+uint64(burst), 1<<31)
		out = append(out, &netlink.Tbf{
			QdiscAttrs: netlink.QdiscAttrs{LinkIndex: index, Parent: parent, Handle: handle},
			Rate:       bytesPerSecond,
			Buffer:     netlink.Xmittime(bytesPerSecond, burst),
			Limit:      uint32(limit),
		})
	}
	return out
}
