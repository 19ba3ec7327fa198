package link

import "github.com/vishvananda/netlink"

// Kinds whose one creation request makes two links: veth and netkit. The
// kernel puts the second link ("peer") in the namespace of the requesting
// socket unless the request names another one, and netlink's two types keep
// the peer's name and namespace differently: a veth in fields of its own, a
// netkit in unexported attributes that only a setter reaches, so the request
// keeps those in the [Link] wrapper and hands them over before sending.

// peerSpec is what a pair request says about its second link.
type peerSpec struct {
	what      string // the field, for messages
	name      string
	namespace any // nil or a netlink.NsFd
}

// peer returns the peer part of a pair request, or nil for kinds that
// create one link.
func (r *request) peer() *peerSpec {
	switch l := r.link.(type) {
	case *netlink.Veth:
		return &peerSpec{what: "Veth.PeerNamespace", name: l.PeerName, namespace: l.PeerNamespace}
	case *netlink.Netkit:
		return &peerSpec{what: "netkit PeerNamespace", name: r.wrap.PeerName, namespace: r.wrap.PeerNamespace}
	}
	return nil
}

// setPeerName names the peer of a pair request.
func (r *request) setPeerName(name string) {
	switch l := r.link.(type) {
	case *netlink.Veth:
		l.PeerName = name
	case *netlink.Netkit:
		r.wrap.PeerName = name
		l.SetPeerAttrs(&netlink.LinkAttrs{Name: name, Namespace: r.wrap.PeerNamespace})
	}
}

// peerResult is the second link to return, from what the kernel reports
// about it (found) and the first link.
func (r *request) peerResult(found, first netlink.Link) netlink.Link {
	if _, ok := r.link.(*netlink.Veth); ok {
		return &netlink.Veth{
			LinkAttrs:     *found.Attrs(),
			PeerName:      first.Attrs().Name,
			PeerNamespace: r.destRef(),
		}
	}
	return found
}
