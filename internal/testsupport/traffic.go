package testsupport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// TCPServer is a TCP server in a network namespace, started by [ServeTCP].
// It tells who connected and what connections sent, so that specs can
// assert what the network did to real traffic: whose address a NAT router
// put on it, how fast an impaired link let it through.
type TCPServer struct {
	addr      string
	peers     chan netip.Addr
	transfers chan Transfer
}

// Transfer is a [TCPServer]'s account of one connection that sent
// something: the peer's address, how many bytes arrived, and how long that
// took from accepting the connection to its end.
type Transfer struct {
	Peer  netip.Addr
	Bytes int64
	Took  time.Duration
}

// Mbits is the transfer's throughput in Mbit/s.
func (tr Transfer) Mbits() float64 { return float64(tr.Bytes*8) / tr.Took.Seconds() / 1e6 }

// serverBacklog is how many peers and transfers a server keeps for specs
// that ask about them; it drops what comes beyond, such as the connections
// of round-trip measurements nobody asks about.
const serverBacklog = 16

// ServeTCP starts a TCP server in the network namespace nsfd, listening on
// addr (port 0 picks a free one), which accepts connections until the
// spec's cleanup, reads each to its end (for 20 s at most, and no longer
// than until the cleanup, which closes them), and records every
// connection's peer and the transfer of every connection that sent
// anything.
func ServeTCP(nsfd int, addr string) *TCPServer {
	GinkgoHelper()
	var ln net.Listener
	in(nsfd, func() {
		var err error
		ln, err = net.Listen("tcp", addr)
		Expect(err).NotTo(HaveOccurred(), "cannot listen on %s in %s", addr, nsops.Describe(nsfd))
	})
	stop, cancel := context.WithCancel(context.Background())
	DeferCleanup(func() error {
		cancel()
		return ln.Close()
	})
	s := &TCPServer{
		addr:      ln.Addr().String(),
		peers:     make(chan netip.Addr, serverBacklog),
		transfers: make(chan Transfer, serverBacklog),
	}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go s.read(stop, conn)
		}
	}()
	return s
}

func (s *TCPServer) read(stop context.Context, conn net.Conn) {
	defer conn.Close()
	defer context.AfterFunc(stop, func() { conn.Close() })()
	start := time.Now()
	peer := conn.RemoteAddr().(*net.TCPAddr).AddrPort().Addr().Unmap()
	select {
	case s.peers <- peer:
	default:
	}
	_ = conn.SetReadDeadline(start.Add(20 * time.Second))
	n, _ := io.Copy(io.Discard, conn)
	if n == 0 {
		return
	}
	select {
	case s.transfers <- Transfer{Peer: peer, Bytes: n, Took: time.Since(start)}:
	default:
	}
}

// Addr is the address the server listens on, with the port it got.
func (s *TCPServer) Addr() string { return s.addr }

// Peers delivers the address of each peer that connected, in the order the
// server accepted them.
func (s *TCPServer) Peers() <-chan netip.Addr { return s.peers }

// NextPeer waits for the next peer a server delivers on peers (see
// [TCPServer.Peers]) and returns its address. It waits up to 5 s, for a slow
// (emulated) machine: the connection is set up by the time its client
// returns, but the server's goroutines must still be scheduled to accept it.
func NextPeer(peers <-chan netip.Addr) netip.Addr {
	GinkgoHelper()
	var peer netip.Addr
	Eventually(peers).WithTimeout(5*time.Second).Should(Receive(&peer), "the server accepted no connection")
	return peer
}

// Transfers delivers the account of each connection that sent something,
// once it ended.
func (s *TCPServer) Transfers() <-chan Transfer { return s.transfers }

// SendTCP sends size bytes from the network namespace nsfd to the server s
// over one TCP connection, and returns the server's account of the
// transfer, which must have got them all within 20 s.
func SendTCP(nsfd int, s *TCPServer, size int) Transfer {
	GinkgoHelper()
	in(nsfd, func() {
		conn, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
		Expect(err).NotTo(HaveOccurred(), "cannot connect to %s from %s", s.addr, nsops.Describe(nsfd))
		defer conn.Close()
		_ = conn.SetWriteDeadline(time.Now().Add(20 * time.Second))
		_, err = conn.Write(make([]byte, size))
		Expect(err).NotTo(HaveOccurred(), "cannot send %d bytes to %s from %s", size, s.addr, nsops.Describe(nsfd))
	})
	var tr Transfer
	Eventually(s.transfers).WithTimeout(20*time.Second).Should(Receive(&tr), "no transfer arrived at %s", s.addr)
	Expect(tr.Bytes).To(BeEquivalentTo(size), "bytes the server at %s got", s.addr)
	return tr
}

// ConnectTime returns the shortest of tries TCP connection set-ups from the
// network namespace nsfd to addr, each one round trip. The shortest is the
// least noisy measure: comparing the shortest of many clean tries with the
// shortest of a few delayed ones keeps noise from eating into a delay.
func ConnectTime(nsfd int, addr string, tries int) time.Duration {
	GinkgoHelper()
	best := time.Hour
	in(nsfd, func() {
		for range tries {
			start := time.Now()
			conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
			Expect(err).NotTo(HaveOccurred(), "cannot connect to %s from %s", addr, nsops.Describe(nsfd))
			best = min(best, time.Since(start))
			conn.Close()
		}
	})
	return best
}

// DialTCP connects from the network namespace nsfd to addr over TCP, closes
// the connection again if it came up, and returns how long the answer took
// and the error, if any.
func DialTCP(nsfd int, addr string, timeout time.Duration) (time.Duration, error) {
	GinkgoHelper()
	var err error
	var took time.Duration
	in(nsfd, func() {
		start := time.Now()
		var conn net.Conn
		conn, err = net.DialTimeout("tcp", addr, timeout)
		took = time.Since(start)
		if err == nil {
			conn.Close()
		}
	})
	return took, err
}

// IsTimeout tells whether err is a network operation's timeout, such as
// that of a connection attempt whose packets are dropped.
func IsTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// in runs fn with the calling thread in the network namespace nsfd.
func in(nsfd int, fn func()) {
	GinkgoHelper()
	if err := nsops.Do(nsfd, fn); err != nil {
		Fail(fmt.Sprintf("cannot execute in %s, reason: %v", nsops.Describe(nsfd), err))
	}
}
