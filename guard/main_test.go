package guard_test

import (
	"net"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/sandbox"
)

func TestMain(m *testing.M) { sandbox.Main(m) }

// deliberateFailure labels a spec that fails on purpose to show what the
// guard's message about a changed host namespace looks like; it runs only
// when a label filter selects it:
//
//	go test -v ./guard/ -ginkgo.label-filter=deliberate-failure
const deliberateFailure = "deliberate-failure"

func TestGuard(t *testing.T) {
	RegisterFailHandler(Fail)
	suiteConfig, reporterConfig := GinkgoConfiguration()
	if suiteConfig.LabelFilter == "" {
		suiteConfig.LabelFilter = "!" + deliberateFailure
	}
	RunSpecs(t, "guard package", suiteConfig, reporterConfig)
}

var _ = guard.Suite()

// The suite builds a test server the way the README advises, next to the
// guard: a suite of its own nodes (Synchronized, for "ginkgo -p") and
// guard.Suite must both be accepted by Ginkgo.
var (
	fromProc1 string
	server    net.PacketConn
)

var _ = SynchronizedBeforeSuite(func() []byte {
	return []byte("made on process 1")
}, func(data []byte) {
	fromProc1 = string(data)
	var err error
	server, err = net.ListenPacket("udp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	go echo(server)
})

var _ = SynchronizedAfterSuite(func() {
	Expect(server.Close()).To(Succeed())
}, func() {})

// echo answers each datagram with itself until conn is closed.
func echo(conn net.PacketConn) {
	buf := make([]byte, 1500)
	for {
		n, from, err := conn.ReadFrom(buf)
		if err != nil {
			return
		}
		_, _ = conn.WriteTo(buf[:n], from)
	}
}
