package lab_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/capture"
	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/lab"
)

var _ = Describe("lab captures", func() {

	BeforeEach(guard.SkipUnlessPrivileged)
	BeforeEach(capture.SkipUnlessSupported)

	It("capture every interface from the start, and keep the files with the Mermaid diagram when the test fails", func() {
		var dir string
		var aliceLines []string
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			l := lab.NewT(t)
			l.Capture()
			alice, router, bob := l.Host("alice"), l.Router("router"), l.Host("bob")
			_, ra := l.Connect(alice, router)
			bobEnd, rb := l.Connect(bob, router)
			alice.DefaultRoute(ra)
			bob.DefaultRoute(rb)
			testsupport.Ping(alice.Netns(), bobEnd.IPv4.Addr(), 0x1ab, 1, []byte("routed"))
			c := alice.Iface("router").Capture()
			dir = filepath.Dir(c.File())
			aliceLines = c.Lines()
			t.Errorf("something went wrong")
		})
		DeferCleanup(os.RemoveAll, dir)
		entries, err := os.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		Expect(names).To(ConsistOf("alice-router.pcapng", "router-alice.pcapng", "router-bob.pcapng", "bob-router.pcapng", "topology.mmd"))
		for _, name := range []string{"alice-router.pcapng", "router-bob.pcapng", "bob-router.pcapng"} {
			intf, packets := testsupport.ReadPcapng(filepath.Join(dir, name))
			Expect(intf.Description).To(HavePrefix(strings.Split(name, "-")[0]+", network namespace net:["), name)
			Expect(testsupport.EchoRequests(packets, 0x1ab)).To(Equal([]uint16{1}), name)
		}
		mermaid, err := os.ReadFile(filepath.Join(dir, "topology.mmd"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(mermaid)).To(ContainSubstring(`h0 ---|"alice:router 10.0.1.1/24 fd00:0:0:1::1/64<br/>router:alice 10.0.1.2/24 fd00:0:0:1::2/64"| h2`))
		Expect(strings.Join(aliceLines, "\n")).To(ContainSubstring("IP 10.0.1.1 > 10.0.2.1: ICMP echo request, id 427, seq 1"))
		Expect(rec.Logs()).To(ContainElement(SatisfyAll(
			MatchRegexp(`host router \(network namespace net:\[\d+\]\)\n(.*\n)*  captures:\n    alice: \d+ packets, kept as %s\n`, regexp.QuoteMeta(dir+"/router-alice.pcapng")),
			ContainSubstring("IP 10.0.1.1 > 10.0.2.1: ICMP echo request, id 427, seq 1"))))
	})

	It("capture one wire end, removed with the rest when the test passes", func() {
		var file string
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			l := lab.NewT(t)
			a, b := l.Connect(l.Host("alice"), l.Host("bob"))
			c := a.Capture(capture.WithLastPackets(2))
			Expect(a.Capture()).To(BeIdenticalTo(c))
			testsupport.Ping(a.Host.Netns(), b.IPv4.Addr(), 9, 9, []byte("once"))
			file = c.File()
			Expect(c.Lines()).To(HaveLen(2))
			Expect(filepath.Base(file)).To(Equal("alice-bob.pcapng"))
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(file).NotTo(BeAnExistingFile())
		Expect(filepath.Dir(file)).NotTo(BeADirectory())
	})
})
