package impair_test

import (
	"errors"
	"io"
	"net"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

// wire is a veth pair between two transient namespaces, addressed and up:
// near (10.13.0.1) in ns a, far (10.13.0.2) in ns b.
type wire struct {
	a, b      int
	near, far netlink.Link
}

func newWire() wire {
	GinkgoHelper()
	a, b := netns.NewTransient(netns.WithName("near")), netns.NewTransient(netns.WithName("far"))
	near, far := veth.NewTransient(veth.InNamespace(a), veth.WithPeerNamespace(b),
		veth.WithAddress("10.13.0.1/24"), veth.WithPeerAddress("10.13.0.2/24"),
		veth.WithUp(), veth.WithPeerUp())
	return wire{a: a, b: b, near: near, far: far}
}

// listen starts a TCP server in ns on addr that reads every connection to
// its end and reports, for those that sent anything, how many bytes it got
// and how long that took from accepting; it stops at cleanup.
func listen(ns int, addr string) (string, <-chan transfer) {
	GinkgoHelper()
	var ln net.Listener
	netns.Execute(ns, func() {
		var err error
		ln, err = net.Listen("tcp", addr)
		Expect(err).NotTo(HaveOccurred())
	})
	DeferCleanup(ln.Close)
	done := make(chan transfer, 16)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				start := time.Now()
				_ = conn.SetReadDeadline(start.Add(20 * time.Second))
				n, _ := io.Copy(io.Discard, conn)
				if n == 0 {
					return // a connection that only measured a round trip
				}
				select {
				case done <- transfer{bytes: n, took: time.Since(start)}:
				default:
				}
			}()
		}
	}()
	return ln.Addr().String(), done
}

type transfer struct {
	bytes int64
	took  time.Duration
}

// connectTime returns the shortest of tries TCP connection set-ups from ns
// to addr, each one round trip. The shortest is the least noisy measure;
// comparing the shortest of many clean tries with the shortest of a few
// delayed ones keeps noise from eating into the delay.
func connectTime(ns int, addr string, tries int) time.Duration {
	GinkgoHelper()
	best := time.Hour
	netns.Execute(ns, func() {
		for range tries {
			start := time.Now()
			conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
			Expect(err).NotTo(HaveOccurred())
			best = min(best, time.Since(start))
			conn.Close()
		}
	})
	return best
}

// canConnect tells whether a TCP connection from ns to addr comes up within
// the timeout.
func canConnect(ns int, addr string, timeout time.Duration) bool {
	GinkgoHelper()
	var err error
	netns.Execute(ns, func() {
		var conn net.Conn
		conn, err = net.DialTimeout("tcp", addr, timeout)
		if err == nil {
			conn.Close()
		}
	})
	var ne net.Error
	Expect(err == nil || (errors.As(err, &ne) && ne.Timeout())).To(BeTrue(), "unexpected error: %v", err)
	return err == nil
}

// send sends size bytes from ns to addr over TCP and returns the server's
// account of the transfer.
func send(ns int, addr string, size int, got <-chan transfer) transfer {
	GinkgoHelper()
	netns.Execute(ns, func() {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		Expect(err).NotTo(HaveOccurred())
		defer conn.Close()
		_ = conn.SetWriteDeadline(time.Now().Add(20 * time.Second))
		_, err = conn.Write(make([]byte, size))
		Expect(err).NotTo(HaveOccurred())
	})
	var tr transfer
	Eventually(got).WithTimeout(20 * time.Second).Should(Receive(&tr))
	Expect(tr.bytes).To(BeEquivalentTo(size))
	return tr
}

// mbits is a transfer's throughput in Mbit/s.
func (tr transfer) mbits() float64 {
	return float64(tr.bytes*8) / tr.took.Seconds() / 1e6
}

// udpCount sends n datagrams from ns a to a UDP socket in ns b and counts
// what arrives there within a second of the last one.
func udpCount(a, b int, n int) int {
	GinkgoHelper()
	var pc net.PacketConn
	netns.Execute(b, func() {
		var err error
		pc, err = net.ListenPacket("udp", "10.13.0.2:0")
		Expect(err).NotTo(HaveOccurred())
	})
	defer pc.Close()
	netns.Execute(a, func() {
		conn, err := net.Dial("udp", pc.LocalAddr().String())
		Expect(err).NotTo(HaveOccurred())
		defer conn.Close()
		for range n {
			_, err := conn.Write([]byte("scratchnet"))
			Expect(err).NotTo(HaveOccurred())
		}
	})
	count := 0
	buf := make([]byte, 64)
	for {
		_ = pc.SetReadDeadline(time.Now().Add(time.Second))
		if _, _, err := pc.ReadFrom(buf); err != nil {
			return count
		}
		count++
	}
}
