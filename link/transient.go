package link

import (
	"errors"
	"fmt"
	"net"
	"reflect"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/internal/optname"
)

// nameAttempts bounds the retries with fresh random names when the kernel
// answers EEXIST: with 62^4 names per prefix, ten collisions in a row mean
// something else is wrong.
const nameAttempts = 10

// NewTransient creates a link from the template l and returns it. The link is
// deleted when the current node's cleanup runs, unless it is gone by then.
//
// The template is deep-copied and never modified; options are applied to the
// copy in order. Unless the template names the link, its name is prefix
// followed by random characters, 15 characters in all (see [RandomNifname]);
// on a name collision NewTransient retries with fresh names. A veth peer
// without a name gets a random name with the same prefix.
//
// The link is created in LinkAttrs.Namespace (which must be nil or a
// netlink.NsFd, see [InNamespace]) or else in the namespace of the link's
// references (see [WithLinkNamespace]) or else in the calling thread's. The
// returned link carries the Index and hardware address that the link really
// has in the namespace where it ended up, and its LinkAttrs.Namespace names
// that namespace whenever it is not the calling thread's, so that other
// helpers such as [EnsureUp] find it there.
//
// Cleanup works from the namespace fd recorded at creation, on whatever
// goroutine it runs, deletes the link by index only while it is still the
// link created here (same kind), and treats a link already gone as fine.
func NewTransient(l netlink.Link, prefix string, opts ...Opt) netlink.Link {
	GinkgoHelper()
	return NewTransientT(GinkgoTB(), l, prefix, opts...)
}

// NewTransientT is [NewTransient] for plain testing users; the link is
// deleted through t.Cleanup.
func NewTransientT(t testing.TB, l netlink.Link, prefix string, opts ...Opt) netlink.Link {
	t.Helper()
	first, _ := create(t, l, prefix, opts)
	return first
}

// NewTransientPair is [NewTransient] for kinds whose one creation request
// makes two links, such as veth: it returns both ends, each with the Index
// it has in its own namespace. For other kinds the second link is nil.
// Deleting the first end at cleanup removes the second with it.
func NewTransientPair(l netlink.Link, prefix string, opts ...Opt) (netlink.Link, netlink.Link) {
	GinkgoHelper()
	return NewTransientPairT(GinkgoTB(), l, prefix, opts...)
}

// NewTransientPairT is [NewTransientPair] for plain testing users.
func NewTransientPairT(t testing.TB, l netlink.Link, prefix string, opts ...Opt) (netlink.Link, netlink.Link) {
	t.Helper()
	return create(t, l, prefix, opts)
}

// request is one link creation: the configured copy of the template and the
// namespaces it involves. Namespace fds here are borrowed from the caller.
type request struct {
	link   netlink.Link
	kind   string
	linkNs int // -1: the calling thread's namespace
	wrap   *settings
}

func create(t testing.TB, tmpl netlink.Link, prefix string, opts []Opt) (netlink.Link, netlink.Link) {
	t.Helper()
	req, err := prepare(tmpl, prefix, opts)
	if err != nil {
		t.Fatalf("cannot create transient link with prefix %q, reason: %v", prefix, err)
	}

	sockNs, err := req.openSocketNs()
	if err != nil {
		t.Fatalf("cannot create transient link of type %q, reason: %v", req.kind, err)
	}
	defer unix.Close(sockNs)
	s := newSession()
	defer s.close()
	h, err := s.at(sockNs)
	if err != nil {
		t.Fatalf("cannot create transient link of type %q in %s, reason: %v", req.kind, nsops.Describe(sockNs), err)
	}

	taken := func(names ...string) bool {
		for _, fd := range req.involvedNs(sockNs) {
			hd, err := s.at(fd)
			if err != nil {
				// Unknown: let the kernel's EEXIST speak for itself.
				return false
			}
			for _, name := range names {
				if _, err := hd.LinkByName(name); err == nil {
					return true
				}
			}
		}
		return false
	}
	if err := req.add(h, prefix, taken); err != nil {
		t.Fatalf("cannot create transient link %q of type %q in %s, reason: %v",
			req.link.Attrs().Name, req.kind, nsops.Describe(req.destNs(sockNs)), explain(req.kind, err))
	}

	first, err := req.locate(s, req.link.Attrs().Name, req.destNs(sockNs), req.destRef())
	if err != nil {
		// Where the link really is cannot be told, and a link of that name
		// elsewhere need not be ours: it is left alone, and the message
		// says so.
		t.Fatalf("cannot find new transient link %q in %s, reason: %v (the link was created and is left where it is)",
			req.link.Attrs().Name, nsops.Describe(req.destNs(sockNs)), err)
	}
	if !req.wrap.GoesWithNamespace {
		var diesWith []uint64
		if !req.wrap.DeleteExplicitly {
			diesWith = req.diesWith(sockNs)
		}
		if err := registerCleanup(t, req.destNs(sockNs), first, req.kind, diesWith); err != nil {
			// Without a cleanup the link would outlive the test: delete it
			// now, by the index just found in its own namespace.
			if dh, herr := s.at(req.destNs(sockNs)); herr == nil {
				_ = dh.LinkDel(first)
			}
			t.Fatalf("cannot arrange deletion of transient link %q, reason: %v", first.Attrs().Name, err)
		}
	}

	var dupont netlink.Link
	if pp := req.peer(); pp != nil {
		peerNs, peerRef := sockNs, req.socketRef()
		if fd, ok := pp.namespace.(netlink.NsFd); ok {
			peerNs, peerRef = int(fd), fd
		}
		peer, err := req.locate(s, pp.name, peerNs, peerRef)
		if err != nil {
			t.Fatalf("cannot find peer %q of new transient %s %q in %s, reason: %v",
				pp.name, req.kind, first.Attrs().Name, nsops.Describe(peerNs), err)
		}
		dupont = req.peerResult(peer, first)
		dupont.Attrs().Namespace = peerRef
	}
	first = req.result(first)
	if err := req.configure(s, first, dupont); err != nil {
		t.Fatalf("cannot configure new transient link %q, reason: %v", first.Attrs().Name, err)
	}
	return first, dupont
}

// configure adds the requested addresses to the new link and its peer, then
// brings up what was asked to be up: all of it first, then waiting for each,
// since a veth end only comes up together with its peer.
//
// Addresses go onto links that are still down. An IPv6 address without DAD
// added to a link that is up but has no carrier yet (a veth end whose peer
// is still down) never joins its solicited-node multicast group, so its
// neighbours cannot resolve it; added before the link goes up, it joins when
// the link does.
func (r *request) configure(s *session, first, peer netlink.Link) error {
	if len(r.wrap.PeerAddrs) > 0 || r.wrap.PeerUp {
		if peer == nil {
			return fmt.Errorf("a %q link has no peer to configure", r.kind)
		}
	}
	type step struct {
		l     netlink.Link
		addrs []netlink.Addr
		up    bool
	}
	steps := []step{{first, r.wrap.Addrs, r.wrap.Up}}
	if peer != nil {
		steps = append(steps, step{peer, r.wrap.PeerAddrs, r.wrap.PeerUp})
	}
	var waits []upWait
	for _, st := range steps {
		if len(st.addrs) == 0 && !st.up {
			continue
		}
		nsfd, h, _, err := s.forLink(st.l)
		if err != nil {
			return fmt.Errorf("%q: %w", st.l.Attrs().Name, err)
		}
		for i := range st.addrs {
			if err := h.AddrAdd(st.l, &st.addrs[i]); err != nil {
				return fmt.Errorf("cannot add address %s to %q in %s: %w", st.addrs[i].IPNet, st.l.Attrs().Name, nsops.Describe(nsfd), err)
			}
		}
		if !st.up {
			continue
		}
		if st.l.Attrs().Flags&net.FlagUp == 0 {
			// The index was just looked up in this namespace, so the link
			// needs no look-up again before it is set up.
			if err := h.LinkSetUp(st.l); err != nil {
				return fmt.Errorf("cannot set %q up in %s: %w", st.l.Attrs().Name, nsops.Describe(nsfd), err)
			}
			st.l.Attrs().Flags |= net.FlagUp
		}
		waits = append(waits, upWait{h, nsfd, st.l})
	}
	if failed, err := waitAllUp(waits, DefaultUpWithin); err != nil {
		return fmt.Errorf("cannot bring %q up: %w", failed.Attrs().Name, err)
	}
	return nil
}

// prepare copies and configures the template and checks every namespace
// reference in it, before anything touches the kernel.
func prepare(tmpl netlink.Link, prefix string, opts []Opt) (*request, error) {
	if tmpl == nil || reflect.ValueOf(tmpl).IsNil() {
		return nil, errors.New("link template is nil")
	}
	if err := checkPrefix(prefix); err != nil {
		return nil, err
	}
	plain, linkNs := Unwrap(tmpl)
	if plain == nil || reflect.ValueOf(plain).IsNil() {
		return nil, errors.New("link template is nil")
	}
	w := &Link{
		Link:          deepCopy(reflect.ValueOf(plain)).Interface().(netlink.Link),
		LinkNamespace: linkNs,
	}
	cfg := &settings{}
	configuring.Store(w, cfg)
	defer configuring.Delete(w)
	for i, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("option %d is nil", i+1)
		}
		if err := opt(w); err != nil {
			return nil, optname.Wrap(opt, i, err)
		}
	}
	req := &request{link: w.Link, kind: w.Link.Type(), linkNs: -1, wrap: cfg}
	if err := checkNsRef("LinkAttrs.Namespace", w.Attrs().Namespace); err != nil {
		return nil, err
	}
	if err := checkNsRef("LinkNamespace", w.LinkNamespace); err != nil {
		return nil, err
	}
	if fd, ok := w.LinkNamespace.(netlink.NsFd); ok {
		req.linkNs = int(fd)
	}
	if pp := req.peer(); pp != nil {
		if err := checkNsRef(pp.what, pp.namespace); err != nil {
			return nil, err
		}
		req.setPeerName(pp.name)
	}
	return req, nil
}

func checkNsRef(what string, ref any) error {
	_, err := nsops.NsRef(what, ref)
	return err
}

// openSocketNs returns a new fd for the namespace the creation request is
// sent from: the link namespace, or the calling thread's. A link that
// refers to no other link (no parent, no master) and whose every end is
// placed explicitly is sent from its destination namespace instead: the
// kernel then creates it in the same way, and the creation needs no handle
// in the calling thread's namespace, where nothing of it lives.
func (r *request) openSocketNs() (int, error) {
	if r.linkNs >= 0 {
		return nsops.Dup(r.linkNs)
	}
	dest, placed := r.link.Attrs().Namespace.(netlink.NsFd)
	if pp := r.peer(); pp != nil && pp.namespace == nil {
		// The peer lands in the socket's namespace.
		placed = false
	}
	if placed && !hasParent(r.link) && r.link.Attrs().MasterIndex == 0 {
		return nsops.Dup(int(dest))
	}
	return nsops.OpenCurrent()
}

// destNs is the namespace the new link ends up in.
func (r *request) destNs(sockNs int) int {
	if fd, ok := r.link.Attrs().Namespace.(netlink.NsFd); ok {
		return int(fd)
	}
	return sockNs
}

// involvedNs lists the namespaces where a new name may clash: the socket's
// (older kernels check it whatever the destination), the destination and a
// veth peer's.
func (r *request) involvedNs(sockNs int) []int {
	fds := []int{sockNs, r.destNs(sockNs)}
	if pp := r.peer(); pp != nil {
		if fd, ok := pp.namespace.(netlink.NsFd); ok {
			fds = append(fds, int(fd))
		}
	}
	return fds
}

// diesWith lists the inodes of the namespaces whose teardown removes the new
// link: the namespace of each end and, for a link on a parent (a macvlan,
// vlan or vxlan on a device), the parent's, which is the socket's. Nil when
// one of them cannot be identified, so that the link is deleted explicitly.
func (r *request) diesWith(sockNs int) []uint64 {
	fds := []int{r.destNs(sockNs)}
	if pp := r.peer(); pp != nil {
		peer := sockNs
		if fd, ok := pp.namespace.(netlink.NsFd); ok {
			peer = int(fd)
		}
		fds = append(fds, peer)
	}
	if hasParent(r.link) {
		fds = append(fds, sockNs)
	}
	inos := make([]uint64, 0, len(fds))
	for _, fd := range fds {
		ino, err := nsops.Ino(fd)
		if err != nil {
			return nil
		}
		inos = append(inos, ino)
	}
	return inos
}

// hasParent reports whether the link is stacked on another one, which the
// kernel looked up in the socket's namespace.
func hasParent(l netlink.Link) bool {
	if l.Attrs().ParentIndex != 0 {
		return true
	}
	if vx, ok := l.(*netlink.Vxlan); ok && vx.VtepDevIndex != 0 {
		return true
	}
	return false
}

// socketRef names the socket's namespace in returned links: nil for the
// calling thread's namespace, the caller's fd for a link namespace.
func (r *request) socketRef() any {
	if r.linkNs >= 0 {
		return netlink.NsFd(r.linkNs)
	}
	return nil
}

func (r *request) destRef() any {
	if fd, ok := r.link.Attrs().Namespace.(netlink.NsFd); ok {
		return fd
	}
	return r.socketRef()
}

// add sends RTM_NEWLINK, drawing fresh random names while the kernel reports
// a collision, as long as the names are ours to choose.
func (r *request) add(h *netlink.Handle, prefix string, taken func(names ...string) bool) error {
	attrs := r.link.Attrs()
	pp := r.peer()
	randomName := attrs.Name == ""
	randomPeer := pp != nil && pp.name == ""
	var err error
	for range nameAttempts {
		if randomName {
			attrs.Name, _ = randomNifname(prefix)
		}
		if randomPeer {
			name, _ := randomNifname(prefix)
			r.setPeerName(name)
		}
		err = r.send(h)
		if !errors.Is(err, unix.EEXIST) || !(randomName || randomPeer) {
			return err
		}
		names := []string{attrs.Name}
		if pp := r.peer(); pp != nil {
			names = append(names, pp.name)
		}
		if !taken(names...) {
			// Something other than the name clashes, such as a vxlan with
			// the same VNI and port: fresh names would not help.
			return fmt.Errorf("%w (not a name collision: the new link conflicts with an existing one in another way)", err)
		}
	}
	return fmt.Errorf("%d random names in a row were taken: %w", nameAttempts, err)
}

// locate looks a link up by name in the namespace nsfd refers to: only there
// is its Index meaningful, and netlink's LinkAdd does not report it reliably
// when the link was created for another namespace.
func (r *request) locate(s *session, name string, nsfd int, ref any) (netlink.Link, error) {
	h, err := s.at(nsfd)
	if err != nil {
		return nil, err
	}
	l, err := h.LinkByName(name)
	if err != nil {
		return nil, err
	}
	l.Attrs().Namespace = ref
	return l, nil
}

// result is the configured template with what the kernel decided filled in.
func (r *request) result(found netlink.Link) netlink.Link {
	attrs := r.link.Attrs()
	attrs.Index = found.Attrs().Index
	attrs.HardwareAddr = found.Attrs().HardwareAddr
	attrs.Namespace = found.Attrs().Namespace
	if attrs.MTU == 0 {
		attrs.MTU = found.Attrs().MTU
	}
	return r.link
}

// explain turns the kernel's "operation not supported" for a link kind it
// lacks into a sentence saying so; other errors pass unchanged.
func explain(kind string, err error) error {
	if errors.Is(err, unix.EOPNOTSUPP) {
		if supported, perr := probe(kind); perr == nil && !supported {
			return fmt.Errorf("%w (%w)", unsupportedError(kind), err)
		}
	}
	return err
}
