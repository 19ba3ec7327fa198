package tuntap_test

import (
	"math"
	"os"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/mntns"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/tuntap"
)

// readBack reads the link back as the kernel reports it in ns.
var readBack = testsupport.ReadBack[*netlink.Tuntap]

// sysfsAttrs reads attributes of the device from a sysfs of its namespace.
func sysfsAttrs(ns int, name string, attrs ...string) map[string]string {
	GinkgoHelper()
	values := map[string]string{}
	mntns.ExecuteWithSysfs(ns, func() {
		for _, attr := range attrs {
			b, err := os.ReadFile("/sys/class/net/" + name + "/" + attr)
			Expect(err).NotTo(HaveOccurred())
			values[attr] = strings.TrimSpace(string(b))
		}
	})
	return values
}

// attach attaches to the device by name, as a program under test would, and
// returns a function that detaches again.
func attach(ns int, name string, flags uint16) func() {
	GinkgoHelper()
	fd := -1
	netns.Execute(ns, func() {
		var err error
		fd, err = unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
		Expect(err).NotTo(HaveOccurred())
		ifr, err := unix.NewIfreq(name)
		Expect(err).NotTo(HaveOccurred())
		ifr.SetUint16(flags)
		if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
			unix.Close(fd)
			Fail("cannot attach to " + name + ", reason: " + err.Error())
		}
	})
	return func() { unix.Close(fd) }
}

var _ = Describe("transient tun and tap devices", func() {

	BeforeEach(func() {
		guard.SkipUnlessPrivileged()
		link.SkipUnlessSupported("tuntap")
	})

	It("creates a persistent tap device owned by root", func() {
		ns := netns.NewTransient()

		tap := tuntap.NewTransientTap(tuntap.InNamespace(ns))

		Expect(tap.Attrs().Name).To(MatchRegexp(`^tap-[0-9a-zA-Z]{11}$`))
		found := readBack(ns, tap)
		Expect(found.Mode).To(Equal(netlink.TUNTAP_MODE_TAP))
		Expect(found.NonPersist).To(BeFalse())
		Expect(sysfsAttrs(ns, tap.Attrs().Name, "owner", "group")).To(Equal(map[string]string{"owner": "0", "group": "0"}))
	})

	It("creates a tun device", func() {
		ns := netns.NewTransient()
		tun := tuntap.NewTransientTun(tuntap.InNamespace(ns))
		Expect(tun.Attrs().Name).To(MatchRegexp(`^tun-[0-9a-zA-Z]{11}$`))
		Expect(readBack(ns, tun).Mode).To(Equal(netlink.TUNTAP_MODE_TUN))
	})

	It("creates the device in its namespace, not in the calling thread's", func() {
		defer netns.EnterTransient()()
		here, ns := netns.Current(), netns.NewTransient()

		tap := tuntap.NewTransientTap(tuntap.InNamespace(ns))

		Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo", tap.Attrs().Name))
		Expect(testsupport.LinkNames(here)).To(ConsistOf("lo"))
	})

	It("sets owner, group and flags, as the kernel reports back", func() {
		ns := netns.NewTransient()
		if !nsops.IDMapped(1000, false) || !nsops.IDMapped(1001, true) {
			// In a user namespace mapping only root (the rootless sandbox),
			// such ids cannot own anything: refused up front, nothing made.
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) {
				tuntap.NewTransientTapT(t, tuntap.InNamespace(ns), tuntap.WithOwner(1000), tuntap.WithGroup(1001))
			})
			Expect(rec.Failures()).To(ConsistOf(ContainSubstring("WithOwner(1000): uid 1000 is not mapped in this user namespace")))
			Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo"))
			return
		}

		tap := tuntap.NewTransientTap(tuntap.InNamespace(ns), tuntap.WithOwner(1000), tuntap.WithGroup(1001),
			tuntap.WithFlags(netlink.TUNTAP_NO_PI|netlink.TUNTAP_VNET_HDR))

		found := readBack(ns, tap)
		Expect(found.Owner).To(Equal(uint32(1000)))
		Expect(found.Group).To(Equal(uint32(1001)))
		Expect(found.Flags & netlink.TUNTAP_NO_PI).NotTo(BeZero())
		Expect(found.Flags & netlink.TUNTAP_VNET_HDR).NotTo(BeZero())
		Expect(sysfsAttrs(ns, tap.Attrs().Name, "owner", "group")).To(Equal(map[string]string{"owner": "1000", "group": "1001"}))
	})

	It("lets a program attach by name and stays when it lets go", func() {
		ns := netns.NewTransient()
		tap := tuntap.NewTransientTap(tuntap.InNamespace(ns), tuntap.WithFlags(netlink.TUNTAP_NO_PI))

		detach := attach(ns, tap.Attrs().Name, unix.IFF_TAP|unix.IFF_NO_PI)
		detach()

		Expect(readBack(ns, tap).NonPersist).To(BeFalse())
	})

	It("becomes operationally up while a program is attached", func() {
		ns := netns.NewTransient()
		tap := tuntap.NewTransientTap(tuntap.InNamespace(ns), tuntap.WithFlags(netlink.TUNTAP_NO_PI))
		DeferCleanup(attach(ns, tap.Attrs().Name, unix.IFF_TAP|unix.IFF_NO_PI))

		link.EnsureUp(tap)

		// 6.12 and later report UP, 6.1 reports UNKNOWN whether attached or not.
		Expect(readBack(ns, tap).OperState).To(BeElementOf(
			netlink.LinkOperState(netlink.OperUp), netlink.LinkOperState(netlink.OperUnknown)))
	})

	It("cannot be waited up without a program attached on kernels that report no carrier then", func() {
		ns := netns.NewTransient()
		tap := tuntap.NewTransientTap(tuntap.InNamespace(ns))
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { link.EnsureUpT(t, tap, 100*time.Millisecond) })
		// 6.12 and later report no carrier (DOWN). 6.1 reports UNKNOWN
		// first, which EnsureUp takes for up, and may report DOWN once
		// linkwatch has run: either way the tap never becomes UP.
		if len(rec.Failures()) == 0 {
			Expect(readBack(ns, tap).OperState).To(BeElementOf(
				netlink.LinkOperState(netlink.OperUnknown), netlink.LinkOperState(netlink.OperDown)))
			return
		}
		Expect(rec.Failures()).To(ConsistOf(ContainSubstring(`operational state still "down"`)))
	})

	It("deletes the device at cleanup", func() {
		ns := netns.NewTransient()
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			tun := tuntap.NewTransientTunT(t, tuntap.InNamespace(ns))
			Expect(testsupport.LinkNames(ns)).To(ContainElement(tun.Attrs().Name))
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo"))
	})
})

var _ = Describe("refusing tun and tap devices it cannot create, before anything is created", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	DescribeTable("with a clear message",
		func(opt tuntap.Opt, reason string) {
			ns := netns.NewTransient()
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) { tuntap.NewTransientTapT(t, tuntap.InNamespace(ns), opt) })
			Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
				HavePrefix(`cannot create transient link with prefix "tap-", reason: `), ContainSubstring(reason))))
			Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo"))
		},
		Entry("uid -1", tuntap.WithOwner(math.MaxUint32), "WithOwner(4294967295): uid 4294967295 is not a valid user id"),
		Entry("gid -1", tuntap.WithGroup(math.MaxUint32), "WithGroup(4294967295): gid 4294967295 is not a valid group id"),
		Entry("flags it does not offer", tuntap.WithFlags(netlink.TUNTAP_NO_PI|netlink.TUNTAP_ONE_QUEUE),
			"WithFlags(0x3000): flags 0x2000 are not among NO_PI, VNET_HDR and MULTI_QUEUE"),
		Entry("an option for another kind", link.OptFor("WithPeerThing", func(*netlink.Veth) error { return nil }),
			"WithPeerThing: applies to *netlink.Veth links, not to *netlink.Tuntap"),
	)

	It("refuses its options for other kinds", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { link.NewTransientT(t, &netlink.Bridge{}, "br-", tuntap.WithOwner(1000)) })
		Expect(rec.Failures()).To(ConsistOf(ContainSubstring("WithOwner(1000): applies to *netlink.Tuntap links, not to *netlink.Bridge")))
	})
})
