package mntns_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/mntns"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

// netDevices lists the interfaces in /sys/class/net as the calling thread
// sees it: the symlinks there. Files such as bonding_masters, which the
// bonding module adds to every network namespace, are no interfaces.
func netDevices() []string {
	GinkgoHelper()
	entries, err := os.ReadDir("/sys/class/net")
	Expect(err).NotTo(HaveOccurred())
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.Type()&os.ModeSymlink != 0 {
			names = append(names, e.Name())
		}
	}
	return names
}

func readFile(path string) string {
	GinkgoHelper()
	b, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	return string(b)
}

// mountNsInos maps each thread of the process to the inode number of its
// mount namespace; threads ending meanwhile are left out.
func mountNsInos() map[string]uint64 {
	GinkgoHelper()
	entries, err := os.ReadDir("/proc/self/task")
	Expect(err).NotTo(HaveOccurred())
	inos := map[string]uint64{}
	for _, e := range entries {
		var st unix.Stat_t
		if unix.Stat(filepath.Join("/proc/self/task", e.Name(), "ns/mnt"), &st) == nil {
			inos[e.Name()] = st.Ino
		}
	}
	return inos
}

func processMountNsIno() uint64 {
	GinkgoHelper()
	var st unix.Stat_t
	Expect(unix.Stat("/proc/self/ns/mnt", &st)).To(Succeed())
	return st.Ino
}

// threadsElsewhere lists the threads not in the mount namespace ino.
func threadsElsewhere(ino uint64) []string {
	var elsewhere []string
	for tid, tino := range mountNsInos() {
		if tino != ino {
			elsewhere = append(elsewhere, fmt.Sprintf("thread %s in mnt:[%d]", tid, tino))
		}
	}
	return elsewhere
}

var _ = Describe("running code with the sysfs of a network namespace", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("shows that namespace's interfaces under /sys/class/net, and only there", func() {
		ns := netns.NewTransient()
		dupond, dupont := veth.NewTransient(veth.InNamespace(ns), veth.WithPeerNamespace(ns))
		hostDevices := netDevices()

		var inside []string
		var mtu string
		mntns.ExecuteWithSysfs(ns, func() {
			inside = netDevices()
			mtu = readFile("/sys/class/net/" + dupond.Attrs().Name + "/mtu")
		})

		Expect(inside).To(ConsistOf("lo", dupond.Attrs().Name, dupont.Attrs().Name))
		Expect(strings.TrimSpace(mtu)).To(Equal(fmt.Sprint(dupond.Attrs().MTU)))
		Expect(netDevices()).To(Equal(hostDevices))
		Expect(hostDevices).NotTo(ContainElement(dupond.Attrs().Name))
	})

	It("runs the function in the network namespace too", func() {
		ns := netns.NewTransient()
		var ino uint64
		mntns.ExecuteWithSysfs(ns, func() { ino = netns.CurrentIno() })
		Expect(ino).To(Equal(netns.Ino(ns)))
	})

	It("leaves the host's mounts untouched, during and after", func() {
		ns := netns.NewTransient()
		before := readFile("/proc/self/mountinfo")
		hostMnt := processMountNsIno()

		var during, own string
		mntns.ExecuteWithSysfs(ns, func() {
			during = readFile("/proc/self/mountinfo") // the main thread's view
			own = readFile("/proc/thread-self/mountinfo")
		})

		Expect(during).To(Equal(before))
		Expect(own).NotTo(Equal(before), "the function's thread has mounts of its own")
		Expect(strings.Count(own, " /sys ")).To(BeNumerically(">", strings.Count(before, " /sys ")),
			"the function's thread sees one more mount on /sys")
		Expect(readFile("/proc/self/mountinfo")).To(Equal(before))
		Eventually(threadsElsewhere).WithArguments(hostMnt).WithTimeout(time.Second).Should(BeEmpty())
	})

	It("retires the thread it ran on", func() {
		ns := netns.NewTransient()
		var tid int
		mntns.ExecuteWithSysfs(ns, func() { tid = unix.Gettid() })

		Expect(tid).NotTo(Equal(unix.Getpid()), "the main goroutine keeps the main thread")
		Eventually(func() error {
			_, err := os.Stat(fmt.Sprintf("/proc/self/task/%d", tid))
			return err
		}).WithTimeout(5 * time.Second).Should(MatchError(os.ErrNotExist))
	})

	It("carries a panic of the function over to the caller", func() {
		ns := netns.NewTransient()
		Expect(func() { mntns.ExecuteWithSysfs(ns, func() { panic("boom") }) }).To(PanicWith("boom"))
	})

	It("carries a failed assertion of the function over to the caller", func() {
		ns := netns.NewTransient()
		failure := InterceptGomegaFailure(func() {
			mntns.ExecuteWithSysfs(ns, func() { Expect("host").To(Equal("transient")) })
		})
		Expect(failure).To(MatchError(ContainSubstring(`to equal`)))
	})

	It("fails clearly when the function ends its goroutine", func() {
		ns := netns.NewTransient()
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { mntns.ExecuteWithSysfsT(t, ns, runtime.Goexit) })
		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			HavePrefix("cannot run in a mount namespace with sysfs of network namespace fd"),
			ContainSubstring("the function ended its goroutine"))))
	})

	DescribeTable("refusing what it cannot run, with a clear message",
		func(fdOf func() int, fn func(), reason string) {
			rec := &testsupport.Recorder{}
			fd := fdOf()
			rec.Run(func(t testing.TB) { mntns.ExecuteWithSysfsT(t, fd, fn) })
			Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
				HavePrefix("cannot run in a mount namespace with sysfs of network namespace fd"),
				ContainSubstring(reason))))
		},
		Entry("a negative fd", func() int { return -1 }, func() {}, "invalid file descriptor -1"),
		Entry("a mount namespace fd", func() int {
			f, err := os.Open("/proc/self/ns/mnt")
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(f.Close)
			return int(f.Fd())
		}, func() {}, "refers to a mount namespace, not a network namespace"),
		Entry("a nil function", func() int { return netns.NewTransient() }, nil, "function is nil"),
	)
})
