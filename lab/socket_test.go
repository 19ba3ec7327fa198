package lab_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/lab"
	"github.com/scratchnet/scratchnet/netns"
)

// routedLab builds alice - router - bob with default routes, and returns
// the hosts and alice's and bob's addresses.
func routedLab() (alice, bob *lab.Host, aliceAddr, bobAddr netip.Addr) {
	GinkgoHelper()
	l := lab.New()
	alice, router, bob := l.Host("alice"), l.Router("router"), l.Host("bob")
	a, ra := l.Connect(alice, router)
	b, rb := l.Connect(bob, router)
	alice.DefaultRoute(ra)
	bob.DefaultRoute(rb)
	return alice, bob, a.IPv4.Addr(), b.IPv4.Addr()
}

var _ = Describe("Go code in lab hosts", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("serves net/http on one host's socket to another host's client, with no process and no Execute", func() {
		alice, bob, aliceAddr, bobAddr := routedLab()
		ln := alice.Listen("tcp", netip.AddrPortFrom(aliceAddr, 8080).String())
		// http.Serve accepts, and runs each handler, on goroutines of its own.
		go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "hello %s", r.RemoteAddr)
		}))
		alice.WaitListening("tcp", 8080)

		client := bob.HTTPClient()
		for range 3 {
			resp, err := client.Get("http://" + ln.Addr().String() + "/")
			Expect(err).NotTo(HaveOccurred())
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			Expect(err).NotTo(HaveOccurred())
			Expect(string(body)).To(MatchRegexp(`^hello %s:\d+$`, bobAddr))
		}

		// The test's own namespace has no route to alice.
		_, err := (&http.Client{Timeout: time.Second}).Get("http://" + ln.Addr().String() + "/")
		Expect(err).To(HaveOccurred())
	})

	It("resolves a name with net.Resolver through a host's dialer, from a DNS server on another host", func() {
		alice, bob, aliceAddr, bobAddr := routedLab()
		pc := alice.ListenPacket("udp", netip.AddrPortFrom(aliceAddr, 53).String())
		from := make(chan string, 1)
		go testsupport.ServeDNS(pc, map[string]netip.Addr{"service.scratchnet.test": netip.MustParseAddr("192.0.2.7")}, from)

		dialer := bob.Dialer()
		resolver := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			// Whatever name server /etc/resolv.conf names: ask alice's.
			return dialer.DialContext(ctx, network, pc.LocalAddr().String())
		}}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		addrs, err := resolver.LookupHost(ctx, "service.scratchnet.test.")
		Expect(err).NotTo(HaveOccurred())
		Expect(addrs).To(Equal([]string{"192.0.2.7"}))
		Expect(<-from).To(MatchRegexp(`^%s:\d+$`, bobAddr))
	})

	It("binds a host's sockets in its namespace, reached from another host and closed at cleanup", func() {
		alice, bob, aliceAddr, bobAddr := routedLab()
		ln := alice.Listen("tcp", netip.AddrPortFrom(aliceAddr, 0).String())
		Expect(testsupport.SocketNsIno(ln)).To(Equal(netns.Ino(alice.Netns())))
		go func() {
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				conn.Write([]byte("hi"))
				conn.Close()
			}
		}()
		conn := bob.Dial("tcp", ln.Addr().String())
		Expect(testsupport.SocketNsIno(conn)).To(Equal(netns.Ino(bob.Netns())))
		Expect(io.ReadAll(conn)).To(Equal([]byte("hi")))

		pc := bob.ListenPacket("udp", "0.0.0.0:0")
		Expect(testsupport.SocketNsIno(pc)).To(Equal(netns.Ino(bob.Netns())))
		dialed, err := alice.Dialer().Dial("udp", netip.AddrPortFrom(bobAddr, uint16(pc.LocalAddr().(*net.UDPAddr).Port)).String())
		Expect(err).NotTo(HaveOccurred())
		Expect(testsupport.SocketNsIno(dialed)).To(Equal(netns.Ino(alice.Netns())))
		_, err = dialed.Write([]byte("ping"))
		Expect(err).NotTo(HaveOccurred())
		buf := make([]byte, 8)
		n, peer, err := pc.ReadFrom(buf)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(buf[:n])).To(Equal("ping"))
		Expect(peer.(*net.UDPAddr).AddrPort().Addr().Unmap()).To(Equal(aliceAddr))
	})

	It("runs callbacks in a host's namespace from many goroutines", func() {
		alice, bob, _, _ := routedLab()
		hosts := []*lab.Host{alice, bob}
		var wg sync.WaitGroup
		errs := make(chan error, 50)
		for i := range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h := hosts[i%2]
				var st unix.Stat_t
				if err := h.Do(func() error { return unix.Stat("/proc/thread-self/ns/net", &st) }); err != nil {
					errs <- err
					return
				}
				if want := netns.InoT(GinkgoTB(), h.Netns()); st.Ino != want {
					errs <- fmt.Errorf("callback %d for %s ran in net:[%d], not net:[%d]", i, h.Name, st.Ino, want)
				}
			}()
		}
		wg.Wait()
		close(errs)
		Expect(errs).To(BeEmpty())
	})

	It("names the host's namespace when it cannot listen or dial", func() {
		r := &testsupport.Recorder{}
		var wheres []string
		for _, fail := range []func(*lab.Host){
			func(h *lab.Host) { h.Listen("tcp", "10.9.9.9:80") },
			func(h *lab.Host) { h.Dial("tcp", "127.0.0.1:1") },
		} {
			r.Run(func(t testing.TB) {
				alice := lab.NewT(t).Host("alice")
				wheres = append(wheres, fmt.Sprintf(`network namespace "alice" (net:[%d])`, netns.InoT(t, alice.Netns())))
				fail(alice)
			})
		}
		Expect(r.Failures()).To(Equal([]string{
			"cannot listen on tcp 10.9.9.9:80 in " + wheres[0] + ", reason: bind: cannot assign requested address",
			"cannot dial tcp 127.0.0.1:1 from " + wheres[1] + ", reason: connect: connection refused",
		}))

		alice := lab.New().Host("alice")
		_, err := alice.Dialer().Dial("tcp", "127.0.0.1:1")
		Expect(errors.Is(err, unix.ECONNREFUSED)).To(BeTrue())
		Expect(err).To(MatchError(fmt.Sprintf(`cannot dial tcp 127.0.0.1:1 from network namespace "alice" (net:[%d]), reason: connect: connection refused`, netns.Ino(alice.Netns()))))
	})
})

var _ = Describe("IPv6 zones of host sockets", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("looks up a zone's interface in the host's namespace, not in a cache of the process's", func() {
		l := lab.New()
		alice, bob, carol := l.Host("alice"), l.Host("bob"), l.Host("carol")
		// carol's wire to dave comes first, so carol's "lan" gets another
		// index than alice's.
		l.Connect(carol, l.Host("dave"))
		ifaces := l.Segment("lan").Attach(alice, bob, carol)
		Expect(ifaces[0].Link.Attrs().Index).NotTo(Equal(ifaces[2].Link.Attrs().Index))
		addrs, err := bob.Handle().AddrList(ifaces[1].Link, unix.AF_INET6)
		Expect(err).NotTo(HaveOccurred())
		var linkLocal netip.Addr
		for _, a := range addrs {
			if ip, _ := netip.AddrFromSlice(a.IP); ip.IsLinkLocalUnicast() {
				linkLocal = ip
			}
		}
		Expect(linkLocal.IsValid()).To(BeTrue())
		ln := bob.Listen("tcp6", "[::]:0")
		go func() {
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				conn.Close()
			}
		}()
		target := netip.AddrPortFrom(linkLocal.WithZone("lan"), uint16(ln.Addr().(*net.TCPAddr).Port)).String()
		// alice's dial has the zone looked up in alice; carol's must not
		// reuse what alice found.
		for _, h := range []*lab.Host{alice, carol} {
			d := h.Dialer()
			d.Timeout = 5 * time.Second // the wrong interface would time out
			conn, err := d.Dial("tcp6", target)
			Expect(err).NotTo(HaveOccurred(), "from %s", h.Name)
			Expect(conn.Close()).To(Succeed())
		}
	})
})
