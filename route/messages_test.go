package route_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/route"
)

var _ = Describe("messages made the reader count or guess: route failures name the gateway", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("names the gateway it could not reach", func() {
		ns := netns.NewTransient()
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { route.AddDefaultT(t, ns, "10.0.0.2") })
		Expect(rec.Failures()).To(ConsistOf(MatchRegexp(
			`^cannot add route to default via 10\.0\.0\.2 in network namespace net:\[\d+\], reason: network is unreachable$`)))
	})
})
