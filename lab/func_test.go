package lab_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
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
	"github.com/scratchnet/scratchnet/lab"
	"github.com/scratchnet/scratchnet/netns"
)

// The Go functions the specs start on lab hosts.
var (
	// http-serve serves on its argument, the address, with net/http:
	// the accept loop and every handler run on goroutines of their own.
	// Each answer names the namespace of the thread that ran the handler
	// and the client's address.
	_ = netns.RegisterFunc("http-serve", func(args []string) int {
		handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ns, err := os.Readlink("/proc/thread-self/ns/net")
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			fmt.Fprintf(w, "%s %s\n", ns, r.RemoteAddr)
		})
		err := http.ListenAndServe(args[0], handler)
		fmt.Fprintln(os.Stderr, err)
		return 1
	})
	// sockets listens on 100 TCP ports from its argument on, each
	// opened by a goroutine of its own locked to a thread of its own
	// (they all hold their threads until every one has listened), and
	// keeps them open until SIGTERM.
	_ = netns.RegisterFunc("sockets", func(args []string) int {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		defer stop()
		base, err := strconv.Atoi(args[0])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		listeners := make([]net.Listener, 100)
		errs := make([]error, 100)
		tids := make([]int, 100)
		var listened, ended sync.WaitGroup
		release := make(chan struct{})
		for i := range listeners {
			listened.Add(1)
			ended.Go(func() {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				tids[i] = unix.Gettid()
				listeners[i], errs[i] = net.Listen("tcp4", fmt.Sprintf("0.0.0.0:%d", base+i))
				listened.Done()
				<-release
			})
		}
		listened.Wait()
		close(release)
		ended.Wait()
		if err := errors.Join(errs...); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		threads := map[int]bool{}
		for _, tid := range tids {
			threads[tid] = true
		}
		fmt.Printf("listening on 100 ports, opened on %d threads\n", len(threads))
		<-ctx.Done()
		for _, ln := range listeners {
			ln.Close()
		}
		return 0
	})
)

// listeningInodes returns the inodes of the TCP sockets that listen on
// ports from..from+99 in the namespace of the calling thread's host, as
// sock_diag tells, or, where the kernel has no tcp_diag (a user namespace
// cannot load it), as /proc/thread-self/net/tcp does.
func listeningInodes(h *lab.Host, from int) []uint64 {
	GinkgoHelper()
	var inodes []uint64
	h.Execute(func() {
		d, err := netlink.NewHandle(unix.NETLINK_INET_DIAG)
		Expect(err).NotTo(HaveOccurred())
		defer d.Close()
		socks, err := d.SocketDiagTCP(unix.AF_INET)
		if errors.Is(err, unix.ENOENT) {
			inodes = procListeningInodes(from)
			return
		}
		Expect(err).NotTo(HaveOccurred())
		for _, s := range socks {
			if s.State == 10 && int(s.ID.SourcePort) >= from && int(s.ID.SourcePort) < from+100 { // TCP_LISTEN
				inodes = append(inodes, uint64(s.INode))
			}
		}
	})
	return inodes
}

// procListeningInodes is listeningInodes through the calling thread's
// /proc/thread-self/net/tcp.
func procListeningInodes(from int) []uint64 {
	GinkgoHelper()
	b, err := os.ReadFile("/proc/thread-self/net/tcp")
	Expect(err).NotTo(HaveOccurred())
	var inodes []uint64
	// "sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode"
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 10 || f[3] != "0A" {
			continue
		}
		_, hexPort, _ := strings.Cut(f[1], ":")
		port, _ := strconv.ParseUint(hexPort, 16, 16)
		ino, _ := strconv.ParseUint(f[9], 10, 64)
		if int(port) >= from && int(port) < from+100 {
			inodes = append(inodes, ino)
		}
	}
	return inodes
}

// socketInodes returns the inodes of the sockets process pid holds open.
func socketInodes(pid int) []uint64 {
	GinkgoHelper()
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	Expect(err).NotTo(HaveOccurred())
	var inodes []uint64
	for _, e := range entries {
		target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, e.Name()))
		if err != nil {
			continue
		}
		var ino uint64
		if _, err := fmt.Sscanf(target, "socket:[%d]", &ino); err == nil {
			inodes = append(inodes, ino)
		}
	}
	return inodes
}

var _ = Describe("Go functions as processes on lab hosts", func() {
	BeforeEach(guard.SkipUnlessPrivileged)

	It("serves net/http from a function calling http.ListenAndServe on one host to another host across a router", func() {
		l := lab.New()
		alice, router, bob := l.Host("alice"), l.Router("router"), l.Host("bob")
		a, ra := l.Connect(alice, router)
		b, rb := l.Connect(bob, router)
		alice.DefaultRoute(ra)
		bob.DefaultRoute(rb)
		server := bob.StartFunc("http-serve", []string{":8080"})
		server.WaitListening("tcp", 8080)

		url := "http://" + net.JoinHostPort(b.IPv4.Addr().String(), "8080") + "/"
		var body []byte
		alice.Execute(func() {
			// The transport dials on a goroutine of its own, outside
			// alice's namespace: hand it a connection dialed here.
			conn, err := net.Dial("tcp", net.JoinHostPort(b.IPv4.Addr().String(), "8080"))
			Expect(err).NotTo(HaveOccurred())
			client := &http.Client{Transport: &http.Transport{
				DialContext: func(context.Context, string, string) (net.Conn, error) { return conn, nil },
			}}
			defer client.CloseIdleConnections()
			resp, err := client.Get(url)
			Expect(err).NotTo(HaveOccurred())
			defer resp.Body.Close()
			Expect(resp.StatusCode).To(Equal(http.StatusOK))
			body, err = io.ReadAll(resp.Body)
			Expect(err).NotTo(HaveOccurred())
		})
		Expect(string(body)).To(MatchRegexp(`^net:\[%d\] %s:\d+\n$`, netns.Ino(bob.Netns()), strings.ReplaceAll(a.IPv4.Addr().String(), ".", `\.`)))
		Expect(server.Status()).To(Equal("is running"))
	})

	It("names the host and shows the output of a function that fails", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			l := lab.NewT(t)
			l.Host("alice").Run(netns.FuncCommand("http-serve", "no-port"))
		})
		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			MatchRegexp(`^cannot run \S+ -scratchnet.func=http-serve -- no-port in host "alice", reason: it exited with status 1\n`),
			ContainSubstring("stderr (last lines):\nlisten tcp: address no-port: missing port in address"))))
		Expect(rec.Logs()).To(ContainElement(SatisfyAll(
			ContainSubstring("host alice (network namespace"),
			MatchRegexp(`processes:\n +pid \d+ exited with status 1: \S+ -scratchnet.func=http-serve -- no-port\n +stderr:\n +listen tcp`))))
	})

	It("keeps the sockets of 100 goroutines of a function in its host's namespace", func() {
		l := lab.New()
		alice, router, bob := l.Host("alice"), l.Router("router"), l.Host("bob")
		_, ra := l.Connect(alice, router)
		_, rb := l.Connect(bob, router)
		alice.DefaultRoute(ra)
		bob.DefaultRoute(rb)
		const from = 20000
		p := bob.StartFunc("sockets", []string{strconv.Itoa(from)})
		p.WaitOutput("^listening on 100 ports, opened on 100 threads\n")

		inBob := listeningInodes(bob, from)
		Expect(inBob).To(HaveLen(100))
		Expect(socketInodes(p.Pid())).To(ContainElements(inBob))
		Expect(listeningInodes(alice, from)).To(BeEmpty())
		Expect(listeningInodes(router, from)).To(BeEmpty())
		// Nor in the test's own namespace.
		ln, err := net.Listen("tcp4", fmt.Sprintf("0.0.0.0:%d", from))
		Expect(err).NotTo(HaveOccurred())
		Expect(ln.Close()).To(Succeed())
	})
})
