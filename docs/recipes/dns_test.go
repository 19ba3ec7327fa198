package recipes_test

import (
	"context"
	"errors"
	"net"
	"os/exec"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/lab"
)

// dnsmasq serves one record on its own host; the Go resolver of a client
// host asks it, through a socket in the client's namespace.
var _ = Describe("a DNS server", func() {
	BeforeEach(guard.SkipUnlessPrivileged)

	It("answers a Go resolver in another namespace", func() {
		l := lab.New()
		client, server := l.Host("client"), l.Host("server")
		_, serverEnd := l.Connect(client, server)
		serverAddr := serverEnd.IPv4.Addr().String()

		// -d keeps dnsmasq in the foreground, where it does not change
		// user: the only way it runs in the rootless sandbox too.
		dnsmasq := server.Start(exec.Command("dnsmasq", "-d", "--conf-file=/dev/null",
			"--no-resolv", "--no-hosts", "--local=/example.test/",
			"--listen-address="+serverAddr, "--bind-interfaces",
			"--host-record=app.example.test,10.7.7.7"))
		dnsmasq.WaitListening("udp", 53)

		resolver := &net.Resolver{
			PreferGo: true, // the cgo resolver would read /etc/resolv.conf and ignore Dial
			Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return client.Dialer().DialContext(ctx, network, net.JoinHostPort(serverAddr, "53"))
			},
		}
		addrs, err := resolver.LookupHost(context.Background(), "app.example.test")
		Expect(err).NotTo(HaveOccurred())
		Expect(addrs).To(ConsistOf("10.7.7.7"))

		_, err = resolver.LookupHost(context.Background(), "db.example.test")
		var dnsErr *net.DNSError
		Expect(errors.As(err, &dnsErr)).To(BeTrue(), "a name dnsmasq does not serve fails: %v", err)
		Expect(dnsErr.IsNotFound).To(BeTrue(), "dnsmasq answers NXDOMAIN for its local domain")
	})
})
