package netns_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/netns"
)

// nameservers returns the name servers that Go's resolver asks, as
// /etc/resolv.conf lists them, or its defaults when it lists none.
func nameservers() []netip.Addr {
	GinkgoHelper()
	var out []netip.Addr
	if b, err := os.ReadFile("/etc/resolv.conf"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) >= 2 && f[0] == "nameserver" {
				if a, err := netip.ParseAddr(f[1]); err == nil {
					out = append(out, a)
				}
			}
		}
	}
	if len(out) == 0 {
		out = []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}
	}
	return out
}

// threadNsIno returns the network namespace of the calling thread, for
// goroutines where a failing assertion must not end the spec's goroutine.
func threadNsIno() (uint64, error) {
	var st unix.Stat_t
	err := unix.Stat("/proc/thread-self/ns/net", &st)
	return st.Ino, err
}

// echoLines answers each line sent on a connection accepted from ln with
// "echo <line>", on goroutines of its own, until ln is closed.
func echoLines(ln net.Listener) {
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				r := bufio.NewReader(conn)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					fmt.Fprintf(conn, "echo %s", line)
				}
			}()
		}
	}()
}

// roundTrip sends line on conn and returns the answer's line.
func roundTrip(conn net.Conn, line string) string {
	GinkgoHelper()
	_, err := fmt.Fprintln(conn, line)
	Expect(err).NotTo(HaveOccurred())
	answer, err := bufio.NewReader(conn).ReadString('\n')
	Expect(err).NotTo(HaveOccurred())
	return answer
}

var _ = Describe("sockets bound to a namespace", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("listens in the namespace, where a peer reaches the listener and the caller's namespace does not", func() {
		fd := netns.NewTransient(netns.WithName("server"))
		ln := netns.Listen(fd, "tcp", "127.0.0.1:0")
		Expect(testsupport.SocketNsIno(ln)).To(Equal(netns.Ino(fd)))
		port := ln.Addr().(*net.TCPAddr).Port
		// sock_diag in the namespace sees it listening.
		netns.WaitListening(fd, "tcp", port)
		echoLines(ln)

		conn := netns.Dial(fd, "tcp", ln.Addr().String())
		Expect(testsupport.SocketNsIno(conn)).To(Equal(netns.Ino(fd)))
		Expect(roundTrip(conn, "hello")).To(Equal("echo hello\n"))

		_, err := net.Dial("tcp", ln.Addr().String())
		Expect(err).To(MatchError(unix.ECONNREFUSED))
	})

	It("listens for packets in the namespace", func() {
		fd := netns.NewTransient()
		pc := netns.ListenPacket(fd, "udp", "127.0.0.1:0")
		Expect(testsupport.SocketNsIno(pc)).To(Equal(netns.Ino(fd)))
		netns.WaitListening(fd, "udp", pc.LocalAddr().(*net.UDPAddr).Port)

		conn := netns.Dial(fd, "udp", pc.LocalAddr().String())
		_, err := conn.Write([]byte("ping"))
		Expect(err).NotTo(HaveOccurred())
		buf := make([]byte, 16)
		n, from, err := pc.ReadFrom(buf)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(buf[:n])).To(Equal("ping"))
		Expect(from.String()).To(Equal(conn.LocalAddr().String()))
	})

	It("listens on an abstract Unix socket, which only its own namespace reaches", func() {
		fd, other := netns.NewTransient(), netns.NewTransient()
		name := fmt.Sprintf("@scratchnet-%d-abstract", os.Getpid())
		ln := netns.Listen(fd, "unix", name)
		Expect(testsupport.SocketNsIno(ln)).To(Equal(netns.Ino(fd)))
		echoLines(ln)

		Expect(roundTrip(netns.Dial(fd, "unix", name), "hi")).To(Equal("echo hi\n"))

		_, err := net.Dial("unix", name)
		Expect(err).To(MatchError(unix.ECONNREFUSED))
		_, err = netns.NewDialer(other).Dial("unix", name)
		Expect(err).To(MatchError(unix.ECONNREFUSED))
	})

	It("dials from the namespace with a dialer, from many goroutines at once", func() {
		fd := netns.NewTransient(netns.WithName("client"))
		ln := netns.Listen(fd, "tcp", "[::1]:0")
		echoLines(ln)
		d := netns.NewDialer(fd)
		want := netns.Ino(fd)

		var wg sync.WaitGroup
		errs := make(chan error, 50)
		for i := range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				conn, err := d.Dial("tcp", ln.Addr().String())
				if err != nil {
					errs <- err
					return
				}
				defer conn.Close()
				rc, _ := conn.(syscall.Conn).SyscallConn()
				var ino uint64
				rc.Control(func(sfd uintptr) {
					nsfd, err := unix.IoctlRetInt(int(sfd), unix.SIOCGSKNS)
					if err == nil {
						var st unix.Stat_t
						unix.Fstat(nsfd, &st)
						ino = st.Ino
						unix.Close(nsfd)
					}
				})
				if ino != want {
					errs <- fmt.Errorf("conn %d lives in net:[%d], not net:[%d]", i, ino, want)
					return
				}
				fmt.Fprintf(conn, "%d\n", i)
				answer, err := bufio.NewReader(conn).ReadString('\n')
				if err != nil || answer != fmt.Sprintf("echo %d\n", i) {
					errs <- fmt.Errorf("conn %d got %q, %v", i, answer, err)
				}
			}()
		}
		wg.Wait()
		close(errs)
		Expect(errs).To(BeEmpty())
	})

	It("serves an HTTP client that dials from the namespace", func() {
		fd := netns.NewTransient()
		ln := netns.Listen(fd, "tcp", "127.0.0.1:0")
		go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "hello from the namespace")
		}))
		resp, err := netns.NewHTTPClient(fd).Get("http://" + ln.Addr().String() + "/")
		Expect(err).NotTo(HaveOccurred())
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		Expect(err).NotTo(HaveOccurred())
		Expect(string(body)).To(Equal("hello from the namespace"))

		_, err = http.Get("http://" + ln.Addr().String() + "/")
		Expect(err).To(MatchError(unix.ECONNREFUSED))
	})

	It("resolves host names from the namespace, asking the name servers of /etc/resolv.conf there", func() {
		fd := netns.NewTransient(netns.WithName("client"))
		h := netns.NewNetlinkHandle(fd)
		lo, err := h.LinkByName("lo")
		Expect(err).NotTo(HaveOccurred())
		answers := map[string]netip.Addr{"echo.scratchnet.test": netip.MustParseAddr("127.0.0.1")}
		for _, server := range nameservers() {
			// In the namespace, the name server is a local address with
			// a DNS server of the spec's: only a query sent from there
			// reaches it.
			if !server.IsLoopback() {
				Expect(h.AddrAdd(lo, &netlink.Addr{IPNet: netlink.NewIPNet(server.AsSlice())})).To(Succeed())
			}
			pc := netns.ListenPacket(fd, "udp", netip.AddrPortFrom(server, 53).String())
			go testsupport.ServeDNS(pc, answers, nil)
		}

		ln := netns.Listen(fd, "tcp", "echo.scratchnet.test.:0")
		Expect(ln.Addr().(*net.TCPAddr).IP.String()).To(Equal("127.0.0.1"))
		echoLines(ln)
		conn := netns.Dial(fd, "tcp", fmt.Sprintf("echo.scratchnet.test.:%d", ln.Addr().(*net.TCPAddr).Port))
		Expect(roundTrip(conn, "by name")).To(Equal("echo by name\n"))

		_, err = netns.NewDialer(fd).Dial("tcp", "unknown.scratchnet.test.:80")
		Expect(err).To(MatchError(HavePrefix(`cannot dial tcp unknown.scratchnet.test.:80 from network namespace "client"`)))
		var dnsErr *net.DNSError
		Expect(errors.As(err, &dnsErr)).To(BeTrue())
		Expect(dnsErr.IsNotFound).To(BeTrue())
	})

	It("closes its sockets and the dialer's connections at cleanup, also those the caller closed", func() {
		fd := netns.NewTransient()
		var ln, closedLn net.Listener
		var pc net.PacketConn
		var conn, dialed net.Conn
		var d *netns.Dialer
		r := &testsupport.Recorder{}
		r.Run(func(t testing.TB) {
			ln = netns.ListenT(t, fd, "tcp", "127.0.0.1:0")
			closedLn = netns.ListenT(t, fd, "tcp", "127.0.0.1:0")
			Expect(closedLn.Close()).To(Succeed())
			pc = netns.ListenPacketT(t, fd, "udp", "127.0.0.1:0")
			conn = netns.DialT(t, fd, "udp", pc.LocalAddr().String())
			d = netns.NewDialerT(t, fd)
			// From another goroutine, as a library would.
			done := make(chan error)
			go func() {
				var err error
				dialed, err = d.Dial("tcp", ln.Addr().String())
				done <- err
			}()
			Expect(<-done).To(Succeed())
		})
		Expect(r.Failures()).To(BeEmpty())
		_, err := ln.Accept()
		Expect(err).To(MatchError(net.ErrClosed))
		_, _, err = pc.ReadFrom(make([]byte, 1))
		Expect(err).To(MatchError(net.ErrClosed))
		_, err = conn.Write([]byte("x"))
		Expect(err).To(MatchError(net.ErrClosed))
		_, err = dialed.Write([]byte("x"))
		Expect(err).To(MatchError(net.ErrClosed))
		_, err = d.Dial("tcp", ln.Addr().String())
		Expect(err).To(MatchError(ContainSubstring("the dialer was closed by the cleanup of the node that made it")))
	})

	It("keeps the connections the caller left open among many it closed, and closes them at cleanup", func() {
		fd := netns.NewTransient()
		pc := netns.ListenPacket(fd, "udp", "127.0.0.1:0")
		var kept []net.Conn
		r := &testsupport.Recorder{}
		r.Run(func(t testing.TB) {
			d := netns.NewDialerT(t, fd)
			// Past the first sweeps for closed connections.
			for i := range 300 {
				conn, err := d.Dial("udp", pc.LocalAddr().String())
				Expect(err).NotTo(HaveOccurred())
				if i%10 == 0 {
					kept = append(kept, conn)
				} else {
					Expect(conn.Close()).To(Succeed())
				}
			}
			for _, conn := range kept {
				_, err := conn.Write([]byte("x"))
				Expect(err).NotTo(HaveOccurred())
			}
		})
		Expect(r.Failures()).To(BeEmpty())
		Expect(kept).To(HaveLen(30))
		for _, conn := range kept {
			_, err := conn.Write([]byte("x"))
			Expect(err).To(MatchError(net.ErrClosed))
		}
	})

	It("fails with messages naming the namespace, the network and the address", func() {
		fd := netns.NewTransient(netns.WithName("server"))
		where := fmt.Sprintf(`network namespace "server" (net:[%d])`, netns.Ino(fd))
		r := &testsupport.Recorder{}
		r.Run(func(t testing.TB) { netns.ListenT(t, fd, "tcp", "10.9.9.9:80") })
		r.Run(func(t testing.TB) { netns.ListenPacketT(t, fd, "udp", "127.0.0.1:99999") })
		r.Run(func(t testing.TB) { netns.DialT(t, fd, "tcp", "127.0.0.1:1") })
		r.Run(func(t testing.TB) { netns.ListenT(t, 9999, "tcp", "127.0.0.1:0") })
		r.Run(func(t testing.TB) { netns.NewDialerT(t, 9999) })
		Expect(r.Failures()).To(Equal([]string{
			"cannot listen on tcp 10.9.9.9:80 in " + where + ", reason: bind: cannot assign requested address",
			"cannot listen on udp 127.0.0.1:99999 in " + where + ", reason: address 99999: invalid port",
			"cannot dial tcp 127.0.0.1:1 from " + where + ", reason: connect: connection refused",
			"cannot listen on tcp 127.0.0.1:0 in network namespace fd 9999, reason: file descriptor 9999 is not open",
			"cannot make dialer for network namespace fd 9999, reason: file descriptor 9999 is not open",
		}))
		_, err := netns.NewDialer(fd).Dial("tcp", "127.0.0.1:1")
		Expect(err).To(MatchError("cannot dial tcp 127.0.0.1:1 from " + where + ", reason: connect: connection refused"))
		Expect(errors.Is(err, unix.ECONNREFUSED)).To(BeTrue())
		_, err = (&netns.Dialer{}).Dial("tcp", "127.0.0.1:1")
		Expect(err).To(MatchError("cannot dial tcp 127.0.0.1:1, reason: the dialer was not made by netns.NewDialer"))
	})
})

var _ = Describe("the callback runner", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("runs callbacks from 50 goroutines at once, each in its namespace, and returns their errors as they are", func() {
		orig := netns.CurrentIno()
		fds := []int{netns.NewTransient(), netns.NewTransient()}
		inos := []uint64{netns.Ino(fds[0]), netns.Ino(fds[1])}
		sentinel := errors.New("the callback's own error")

		var wg sync.WaitGroup
		errs := make(chan error, 50)
		for i := range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var seen uint64
				err := netns.Do(fds[i%2], func() error {
					var err error
					seen, err = threadNsIno()
					if err != nil {
						return err
					}
					return sentinel
				})
				switch {
				case !errors.Is(err, sentinel) || err != sentinel:
					errs <- fmt.Errorf("callback %d: got error %v", i, err)
				case seen != inos[i%2]:
					errs <- fmt.Errorf("callback %d ran in net:[%d], not net:[%d]", i, seen, inos[i%2])
				}
				if ino, err := threadNsIno(); err != nil || ino != orig {
					errs <- fmt.Errorf("goroutine %d is in net:[%d] after its callback (%v)", i, ino, err)
				}
			}()
		}
		wg.Wait()
		close(errs)
		Expect(errs).To(BeEmpty())
		Expect(inosOfFreshGoroutines(100)).To(Equal(map[uint64]int{orig: 100}))
	})

	It("opens sockets in the namespace from a callback", func() {
		fd := netns.NewTransient()
		var ln net.Listener
		Expect(netns.Do(fd, func() (err error) {
			ln, err = net.Listen("tcp", "127.0.0.1:0")
			return err
		})).To(Succeed())
		defer ln.Close()
		Expect(testsupport.SocketNsIno(ln)).To(Equal(netns.Ino(fd)))
	})

	It("returns an error of its own when it cannot switch, and lets a panic continue in the caller", func() {
		ran := false
		err := netns.Do(9999, func() error { ran = true; return nil })
		Expect(err).To(MatchError("cannot run function in network namespace fd 9999, reason: file descriptor 9999 is not open"))
		Expect(ran).To(BeFalse())
		Expect(netns.Do(netns.NewTransient(), nil)).To(MatchError(ContainSubstring("reason: the function is nil")))
		Expect(func() {
			_ = netns.Do(netns.NewTransient(), func() error { panic("boom") })
		}).To(PanicWith("boom"))
	})
})
