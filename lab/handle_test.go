package lab_test

import (
	"errors"
	"net"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/lab"
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
