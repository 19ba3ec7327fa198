package fault_test

import (
	"io"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/fault"
	"github.com/scratchnet/scratchnet/firewall"
	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/impair"
	"github.com/scratchnet/scratchnet/lab"
)

// A server whose connections are reset, as by a crashing peer or a
// middlebox: the client's connection fails with ECONNRESET, and after the
// heal a new one comes up. No proxy sits between them.
func ExampleReset() {
	It("sees its connection reset, and connects again after the heal", func() {
		l := lab.New()
		client, server := l.Host("client"), l.Host("server")
		_, toServer := l.Connect(client, server)
		addr := toServer.IPv4.Addr().String() + ":8080"
		ln := server.Listen("tcp", addr)
		go func() {
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer conn.Close()
					io.Copy(io.Discard, conn)
				}()
			}
		}()
		conn := client.Dial("tcp", addr)

		reset := fault.Inject(fault.Reset(server, fault.Port(8080)))
		_, _ = conn.Write([]byte("ping"))
		_, err := conn.Read(make([]byte, 1))
		Expect(err).To(MatchError(syscall.ECONNRESET))

		fault.Heal(reset)
		client.Dial("tcp", addr)
	})
}

// A download cut after 1 MiB, as toxiproxy's limit_data cuts it: the
// client reads less than the limit, then "connection reset by peer".
func ExampleLimitData() {
	It("stops a download at the limit", func() {
		l := lab.New()
		client, server := l.Host("client"), l.Host("server")
		_, toServer := l.Connect(client, server)
		ln := server.Listen("tcp", toServer.IPv4.Addr().String()+":8080")
		go func() {
			conn, err := ln.Accept()
			if err == nil {
				conn.Write(make([]byte, 8<<20))
				conn.Close()
			}
		}()

		fault.Inject(fault.LimitData(server, 1<<20, fault.Port(8080)))
		n, err := io.Copy(io.Discard, client.Dial("tcp", ln.Addr().String()))
		Expect(err).To(MatchError(syscall.ECONNRESET))
		Expect(n).To(BeNumerically("<=", 1<<20))
	})
}

// One port of a host made slow and narrow while its others stay fast, and
// the segments of new connections sliced small.
func ExampleImpairPort() {
	It("slows port 8080 of the server only", func() {
		l := lab.New()
		client, server := l.Host("client"), l.Host("server")
		l.Connect(client, server)

		fault.Inject(fault.ImpairPort(server, 8080, impair.Delay(50*time.Millisecond), impair.Rate(2_000_000)))
		fault.Inject(fault.Slice(server, 100, fault.Port(8080)))
		// ... what the server sends on port 8080 arrives 50 ms later, at
		// 2 Mbit/s at most, in segments of 100 bytes; port 8081 is as fast
		// as ever.
	})
}

// A peer that stops answering: every packet between the server and the
// client vanishes until the heal, and then the connections go on.
func ExampleStall() {
	It("stalls the connections between two hosts", func() {
		l := lab.New()
		client, server := l.Host("client"), l.Host("server")
		l.Connect(client, server)

		stall := fault.Inject(fault.Stall(server, fault.Peer(client)))
		// ... the client's requests time out ...
		fault.Heal(stall)
	})
}

// The recipes run as specs of the suite, so the guide's snippets are known
// to work.
var _ = Describe("connection fault recipes", func() {
	BeforeEach(func() {
		guard.SkipUnlessPrivileged()
		firewall.SkipUnlessSupported(firewall.RejectRules)
	})
	Context("where packets can be rewritten", func() {
		BeforeEach(func() { firewall.SkipUnlessSupported(firewall.Rewrite) })
		ExampleReset()
		ExampleLimitData()
	})
	ExampleStall()
	Context("with netem", func() {
		BeforeEach(func() {
			impair.SkipUnlessSupported("htb")
			impair.SkipUnlessSupported("netem")
		})
		ExampleImpairPort()
	})
})
