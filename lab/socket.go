package lab

import (
	"net"
	"net/http"

	"github.com/scratchnet/scratchnet/netns"
)

// Listen returns a listener whose socket lives in the host's namespace,
// usable from any goroutine (such as one running http.Serve), as
// [netns.Listen] makes it. It is closed at the end of the node that called
// Listen (plain testing: at the end of the lab's test), unless the caller
// closed it before.
func (h *Host) Listen(network, address string) net.Listener {
	h.lab.t.Helper()
	return netns.ListenT(h.lab.t, h.netns, network, address)
}

// ListenPacket returns a packet conn whose socket lives in the host's
// namespace, as [netns.ListenPacket] makes it, closed as [Host.Listen]'s
// listener is.
func (h *Host) ListenPacket(network, address string) net.PacketConn {
	h.lab.t.Helper()
	return netns.ListenPacketT(h.lab.t, h.netns, network, address)
}

// Dial returns a connection dialed from the host's namespace, as
// [netns.Dial] makes it, closed as [Host.Listen]'s listener is.
func (h *Host) Dial(network, address string) net.Conn {
	h.lab.t.Helper()
	return netns.DialT(h.lab.t, h.netns, network, address)
}

// Dialer returns a new dialer whose connections are dialed from the host's
// namespace, from any goroutine: its DialContext plugs into
// http.Transport, net.Resolver and, adapted, grpc.WithContextDialer (see
// [netns.Dialer]). Its connections are closed at the end of the node that
// called Dialer.
func (h *Host) Dialer() *netns.Dialer {
	h.lab.t.Helper()
	return netns.NewDialerT(h.lab.t, h.netns)
}

// HTTPClient returns a new *http.Client whose connections are dialed from
// the host's namespace, as [netns.NewHTTPClient] makes it; they are closed
// at the end of the node that called HTTPClient.
func (h *Host) HTTPClient() *http.Client {
	h.lab.t.Helper()
	return netns.NewHTTPClientT(h.lab.t, h.netns)
}

// Do runs fn with its thread in the host's namespace and returns fn's
// error, from any goroutine and without failing the test, as [netns.Do]
// does: for callbacks that a library calls on goroutines of its own.
func (h *Host) Do(fn func() error) error {
	return netns.Do(h.netns, fn)
}
