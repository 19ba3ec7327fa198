package lab_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/lab"
)

var _ = Describe("messages made the reader count or guess: lab routes via a host's own interface are refused, naming the other end", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("refuses a default route via the host's own end of a wire, naming the other end", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			l := lab.NewT(t)
			alice, router := l.Host("alice"), l.Router("router")
			own, _ := l.Connect(alice, router)
			alice.DefaultRoute(own)
		})
		Expect(rec.Failures()).To(ConsistOf(
			`cannot add default route on host "alice", reason: the gateway router is host "alice"'s own interface; route via the other end of the wire, alice of host "router"`))
	})

	It("refuses a route via the host's own interface on a segment", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			l := lab.NewT(t)
			alice, bob := l.Host("alice"), l.Host("bob")
			ifaces := l.Segment("lan").Attach(alice, bob)
			alice.Route("10.9.0.0/16", ifaces[0])
		})
		Expect(rec.Failures()).To(ConsistOf(
			`cannot add route to 10.9.0.0/16 on host "alice", reason: the gateway lan is host "alice"'s own interface; route via an interface of another host on the same segment`))
	})
})
