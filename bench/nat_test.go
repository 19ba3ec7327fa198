//go:build bench

package bench_test

import (
	"testing"

	"github.com/scratchnet/scratchnet/impair"
	"github.com/scratchnet/scratchnet/lab"
)

// measureNATLab builds a realistic lab: a client behind a NAT router that
// masquerades towards a server, over a wire rate limited by tbf (netem is
// missing on minimal kernels), all torn down with the lab.
func measureNATLab() {
	run(func(t testing.TB) {
		l := lab.NewT(t)
		alice, nat, server := l.Host("alice"), l.Router("nat"), l.Host("server")
		_, inside := l.Connect(alice, nat)
		outside, _ := l.Connect(nat, server, lab.ImpairFrom(nat, impair.Rate(10_000_000)))
		alice.DefaultRoute(inside)
		nat.NAT(outside)
	})
}
