package netdevsim_test

import (
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netdevsim"
	"github.com/scratchnet/scratchnet/netdevsim/ensure"
	"github.com/scratchnet/scratchnet/netns"
)

const nameRE = `^ndsi-[0-9a-zA-Z]{10}$`

func deviceDir(id uint) string { return fmt.Sprintf("/sys/bus/netdevsim/devices/netdevsim%d", id) }

// readPort reads the port named like l back from the namespace nsfd.
func readPort(nsfd int, l netlink.Link) netlink.Link {
	GinkgoHelper()
	found, err := netns.NewNetlinkHandle(nsfd).LinkByName(l.Attrs().Name)
	Expect(err).NotTo(HaveOccurred())
	Expect(found.Attrs().Index).To(Equal(l.Attrs().Index), "index of %q in its own namespace", l.Attrs().Name)
	return found
}

var _ = Describe("transient netdevsim devices", func() {

	BeforeEach(ensure.SkipUnlessNetdevsim)

	It("creates a device whose ports are devices in the namespace asked for, and removes it at cleanup", func() {
		ns := netns.NewTransient()
		var id uint
		var ports []netlink.Link
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			id, ports = netdevsim.NewTransientT(t, netdevsim.InNamespace(ns), netdevsim.WithPorts(2))
			Expect(deviceDir(id)).To(BeADirectory())
			Expect(ports).To(HaveLen(2))
			names := []string{"lo"}
			for _, p := range ports {
				Expect(p.Attrs().Name).To(MatchRegexp(nameRE))
				Expect(p.Attrs().Namespace).To(Equal(netlink.NsFd(ns)))
				found := readPort(ns, p)
				Expect(found.Type()).To(Equal("device"), "a netdevsim port looks like hardware")
				if found.Attrs().ParentDev != "" {
					Expect(found.Attrs().ParentDev).To(Equal(fmt.Sprintf("netdevsim%d", id)))
				}
				names = append(names, p.Attrs().Name)
			}
			Expect(ports[0].Attrs().Index).To(BeNumerically("<", ports[1].Attrs().Index), "port 0 first")
			Expect(testsupport.LinkNames(ns)).To(ConsistOf(names))
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(rec.Logs()).To(BeEmpty())
		Expect(deviceDir(id)).NotTo(BeAnExistingFile())
		Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo"))
	})

	It("creates the ports in the calling thread's namespace without InNamespace", func() {
		defer netns.EnterTransient()()
		_, ports := netdevsim.NewTransient()
		Expect(ports).To(HaveLen(1))
		Expect(ports[0].Attrs().Namespace).To(BeNil())
		Expect(testsupport.LinkNames(netns.Current())).To(ConsistOf("lo", ports[0].Attrs().Name))
	})

	It("gives each port the queues asked for, or says the kernel's netdevsim cannot", func() {
		ns := netns.NewTransient()
		var ports []netlink.Link
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			_, ports = netdevsim.NewTransientT(t, netdevsim.InNamespace(ns), netdevsim.WithRxTxQueueCountEach(3), netdevsim.WithPorts(2))
			for _, p := range ports {
				found := readPort(ns, p)
				Expect(found.Attrs().NumTxQueues).To(Equal(3))
				Expect(found.Attrs().NumRxQueues).To(Equal(3))
			}
		})
		if f := rec.Failures(); len(f) == 1 && strings.Contains(f[0], "the kernel's netdevsim ignored the queue count") {
			Expect(testsupport.LinkNames(ns)).To(ConsistOf("lo"), "the device is removed")
			release, _, _ := link.KernelAtLeast(0, 0)
			Skip(fmt.Sprintf("kernel %s has a netdevsim without queue counts: %s", release, f[0]))
		}
		Expect(rec.Failures()).To(BeEmpty())
		Expect(ports).To(HaveLen(2))
	})

	It("enables the SR-IOV VFs asked for", func() {
		id, _ := netdevsim.NewTransient(netdevsim.InNamespace(netns.NewTransient()), netdevsim.WithMaxVFs(2))
		Expect(os.ReadFile(deviceDir(id) + "/sriov_numvfs")).To(Equal([]byte("2\n")))
	})

	It("uses the ID asked for, and refuses one that is taken", func() {
		ns := netns.NewTransient()
		first, _ := netdevsim.NewTransient(netdevsim.InNamespace(ns))
		want := first + 1000
		id, _ := netdevsim.NewTransient(netdevsim.InNamespace(ns), netdevsim.WithID(want))
		Expect(id).To(Equal(want))

		other := netns.NewTransient()
		testsupport.ExpectRefused(func(t testing.TB) {
			netdevsim.NewTransientT(t, netdevsim.InNamespace(other), netdevsim.WithID(want))
		}, other, "cannot create transient netdevsim", fmt.Sprintf("cannot create netdevsim with ID %d: ", want))
	})

	It("gives devices created at the same time distinct IDs", func() {
		const n = 6
		ns := netns.NewTransient()
		ids := make([]uint, n)
		var wg sync.WaitGroup
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			for i := range n {
				wg.Go(func() {
					defer GinkgoRecover()
					ids[i], _ = netdevsim.NewTransientT(t, netdevsim.InNamespace(ns))
				})
			}
			wg.Wait()
			seen := map[uint]bool{}
			for _, id := range ids {
				Expect(seen[id]).To(BeFalse(), "ID %d twice", id)
				seen[id] = true
				Expect(deviceDir(id)).To(BeADirectory())
			}
			Expect(testsupport.LinkNames(ns)).To(HaveLen(n + 1))
		})
		Expect(rec.Failures()).To(BeEmpty())
		for _, id := range ids {
			Expect(deviceDir(id)).NotTo(BeAnExistingFile())
		}
	})

	It("stays quiet when the spec removed the device itself", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			id, _ := netdevsim.NewTransientT(t, netdevsim.InNamespace(netns.NewTransient()))
			Expect(os.WriteFile("/sys/bus/netdevsim/del_device", []byte(fmt.Sprint(id)), 0)).To(Succeed())
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(rec.Logs()).To(BeEmpty())
	})

	It("leaves alone a device that took the ID after the spec removed its own, and says so", func() {
		var id uint
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			id, _ = netdevsim.NewTransientT(t, netdevsim.InNamespace(netns.NewTransient()))
			Expect(os.WriteFile("/sys/bus/netdevsim/del_device", []byte(fmt.Sprint(id)), 0)).To(Succeed())
			netns.Execute(netns.NewTransient(), func() {
				Expect(os.WriteFile("/sys/bus/netdevsim/new_device", []byte(fmt.Sprintf("%d 1", id)), 0)).To(Succeed())
			})
			DeferCleanup(os.WriteFile, "/sys/bus/netdevsim/del_device", []byte(fmt.Sprint(id)), os.FileMode(0))
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(rec.Logs()).To(ConsistOf(ContainSubstring(fmt.Sprintf("netdevsim %d is not the transient device created with that ID any more; left it alone", id))))
		Expect(deviceDir(id)).To(BeADirectory())
	})
})

// staticNeighbours gives the ports lport in left and rport in right, addressed
// 192.0.2.1 and 192.0.2.2, each other as permanent neighbours: the simulated
// NICs do answer ARP once linked, but the checks should not depend on its
// timing.
func staticNeighbours(left int, lport netlink.Link, right int, rport netlink.Link) {
	GinkgoHelper()
	for _, side := range []struct {
		ns   int
		port netlink.Link
		ip   string
		mac  net.HardwareAddr
	}{{left, lport, "192.0.2.2", readPort(right, rport).Attrs().HardwareAddr}, {right, rport, "192.0.2.1", readPort(left, lport).Attrs().HardwareAddr}} {
		Expect(netns.NewNetlinkHandle(side.ns).NeighAdd(&netlink.Neigh{
			LinkIndex: side.port.Attrs().Index, State: netlink.NUD_PERMANENT,
			IP: net.ParseIP(side.ip), HardwareAddr: side.mac,
		})).To(Succeed())
	}
}

var _ = Describe("linking netdevsim ports", func() {

	BeforeEach(func() {
		ensure.SkipUnlessNetdevsim()
		link.SkipUnlessKernel("netdevsim port linking", 6, 9)
	})

	It("joins two ports in different namespaces so that what one sends the other receives, until unlinked", func() {
		left, right := netns.NewTransient(), netns.NewTransient()
		_, lp := netdevsim.NewTransient(netdevsim.InNamespace(left))
		_, rp := netdevsim.NewTransient(netdevsim.InNamespace(right))
		link.AddAddress(lp[0], "192.0.2.1/24")
		link.AddAddress(rp[0], "192.0.2.2/24")
		staticNeighbours(left, lp[0], right, rp[0])

		netdevsim.Link(lp[0], rp[0])
		link.EnsureAllUp(lp[0], rp[0])
		Expect(testsupport.Delivered(left, "192.0.2.1:0", testsupport.ListenUDP(right, "192.0.2.2:4242"))).To(BeTrue())
		Expect(testsupport.Delivered(right, "192.0.2.2:0", testsupport.ListenUDP(left, "192.0.2.1:4242"))).To(BeTrue())

		netdevsim.Unlink(lp[0])
		Eventually(func() netlink.LinkOperState { return readPort(left, lp[0]).Attrs().OperState }).
			Within(2 * time.Second).ProbeEvery(20 * time.Millisecond).ShouldNot(Equal(netlink.LinkOperState(netlink.OperUp)))
		Expect(testsupport.Delivered(left, "192.0.2.1:0", testsupport.ListenUDP(right, "192.0.2.2:4243"))).To(BeFalse())
	})
})

var _ = Describe("linking netdevsim ports looked up through a bound handle (issue 19)", func() {

	BeforeEach(func() {
		ensure.SkipUnlessNetdevsim()
		link.SkipUnlessKernel("netdevsim port linking", 6, 9)
	})

	It("links the ports in the namespaces their wrappers name, so that what one sends the other receives", func() {
		left, right := netns.NewTransient(), netns.NewTransient()
		_, lp := netdevsim.NewTransient(netdevsim.InNamespace(left))
		_, rp := netdevsim.NewTransient(netdevsim.InNamespace(right))
		l := link.WrapWithLinkNamespace(testsupport.Bound(left, lp[0].Attrs().Name), left)
		r := link.WrapWithLinkNamespace(testsupport.Bound(right, rp[0].Attrs().Name), right)
		link.AddAddress(l, "192.0.2.1/24")
		link.AddAddress(r, "192.0.2.2/24")
		staticNeighbours(left, lp[0], right, rp[0])

		netdevsim.Link(l, r)
		link.EnsureAllUp(l, r)
		Expect(testsupport.Delivered(left, "192.0.2.1:0", testsupport.ListenUDP(right, "192.0.2.2:4242"))).To(BeTrue())
	})

	It("refuses a port that names no namespace, saying how to name it", func() {
		left, right := netns.NewTransient(), netns.NewTransient()
		_, lp := netdevsim.NewTransient(netdevsim.InNamespace(left))
		_, rp := netdevsim.NewTransient(netdevsim.InNamespace(right))
		bound := testsupport.Bound(left, lp[0].Attrs().Name)
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { netdevsim.LinkT(t, bound, rp[0]) })
		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			HavePrefix(fmt.Sprintf(`cannot link netdevsim port %q, reason: it names no network namespace, so it was looked for in the calling thread's network namespace net:[%d], where `,
				bound.Attrs().Name, netns.CurrentIno())),
			ContainSubstring("name it with link.WrapWithLinkNamespace(l, nsfd) or l.Attrs().Namespace = netlink.NsFd(nsfd)"))))
	})
})

var _ = Describe("refusing bad netdevsim options", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	DescribeTable("fails naming the option and creates nothing",
		func(opt netdevsim.Opt, reason string) {
			ns := netns.NewTransient()
			testsupport.ExpectRefused(func(t testing.TB) {
				netdevsim.NewTransientT(t, netdevsim.InNamespace(ns), opt)
			}, ns, "cannot create transient netdevsim, reason: option 2 failed", reason)
		},
		Entry("zero queues", netdevsim.WithRxTxQueueCountEach(0), "WithRxTxQueueCountEach(0): RX/TX queue count cannot be zero"),
		Entry("bad namespace", netdevsim.InNamespace(-1), "InNamespace(-1): invalid file descriptor -1"),
	)

	It("creates a device where the bus exists, and says the kernel lacks netdevsim where it does not", func() {
		ns := netns.NewTransient()
		if netdevsim.HasNetdevsim() {
			ensure.SkipUnlessNetdevsim()
			_, ports := netdevsim.NewTransient(netdevsim.InNamespace(ns))
			Expect(ports).To(HaveLen(1))
			return
		}
		testsupport.ExpectRefused(func(t testing.TB) {
			netdevsim.NewTransientT(t, netdevsim.InNamespace(ns))
		}, ns, "cannot create transient netdevsim", "kernel does not support netdevsim")
	})
})
