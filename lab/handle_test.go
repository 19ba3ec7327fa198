package lab_test

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/lab"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
)

var _ = Describe("a bound handle silently talked to the wrong namespace: a host's handle reaches only the host, whatever the netlink family", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("adds an XFRM policy on the host it belongs to, not on the host whose thread sends it", func() {
		l := lab.New()
		alice, bob := l.Host("alice"), l.Host("bob")
		_, src, _ := net.ParseCIDR("10.1.0.0/24")
		_, dst, _ := net.ParseCIDR("10.2.0.0/24")
		var err error
		bob.Execute(func() {
			err = alice.Handle().XfrmPolicyAdd(&netlink.XfrmPolicy{Src: src, Dst: dst, Dir: netlink.XFRM_DIR_OUT})
		})
		if errors.Is(err, unix.ECONNREFUSED) {
			Skip("kernel does not support netlink family NETLINK_XFRM (xfrm_user not loaded): the request failed, as it must")
		}
		Expect(err).NotTo(HaveOccurred())
		Expect(alice.Handle().XfrmPolicyList(netlink.FAMILY_ALL)).To(HaveLen(1))
		Expect(bob.Handle().XfrmPolicyList(netlink.FAMILY_ALL)).To(BeEmpty())
	})
})

var _ = Describe("a link from a host's handle reaches the host's namespace through the link helpers, never the test's (issue 19)", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("adds an address to the host's lo when the host's namespace is named with the wrapper, not to the test's lo", func() {
		server := lab.New().Host("server")
		caller := netns.Current()
		before := testsupport.NetState(caller)
		lo, err := server.Handle().LinkByName("lo")
		Expect(err).NotTo(HaveOccurred())
		link.AddAddress(link.WrapWithLinkNamespace(lo, server.Netns()), "192.0.2.10/32")
		Expect(server.Addrs()["lo"]).To(ContainElement(netip.MustParsePrefix("192.0.2.10/32")))
		Expect(testsupport.NetState(caller)).To(Equal(before), "the test's namespace changed")
	})

	It("refuses a host's interface that names no namespace, saying how to name it", func() {
		l := lab.New()
		alice, bob := l.Host("alice"), l.Host("bob")
		a, _ := l.Connect(alice, bob)
		caller := netns.Current()
		before := testsupport.NetState(caller)
		found, err := alice.Handle().LinkByName(a.Name())
		Expect(err).NotTo(HaveOccurred())
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { link.AddAddressT(t, found, "192.0.2.20/32") })
		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			HavePrefix(fmt.Sprintf(`cannot add address 192.0.2.20/32 to link %q (index %d), reason: it names no network namespace`, a.Name(), found.Attrs().Index)),
			ContainSubstring("name it with link.WrapWithLinkNamespace(l, nsfd) or l.Attrs().Namespace = netlink.NsFd(nsfd)"))))
		Expect(alice.Addrs()[a.Name()]).NotTo(ContainElement(netip.MustParsePrefix("192.0.2.20/32")))
		Expect(testsupport.NetState(caller)).To(Equal(before), "the test's namespace changed")
	})
})
