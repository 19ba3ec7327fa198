package mntns_test

import (
	"fmt"
	"os"
	"path/filepath"
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

// mountPoint makes an empty directory to mount on, removed at cleanup.
func mountPoint() string {
	GinkgoHelper()
	dir, err := os.MkdirTemp("", "scratchnet-mntns-")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(os.Remove, dir)
	return dir
}

// sysMountOptions returns the mount options of the mount on /sys that the
// calling thread sees last, as /proc/thread-self/mountinfo lists them.
func sysMountOptions() string {
	GinkgoHelper()
	var opts string
	for _, line := range strings.Split(readFile("/proc/thread-self/mountinfo"), "\n") {
		if fields := strings.Fields(line); len(fields) > 5 && fields[4] == "/sys" {
			opts = fields[5]
		}
	}
	return opts
}

// processMountNsReachable tells whether a thread that left the process's
// mount namespace can enter it again: not when an ancestor user namespace
// owns it, as in a rootless sandbox.
func processMountNsReachable() bool {
	GinkgoHelper()
	f, err := os.Open("/proc/self/ns/mnt")
	Expect(err).NotTo(HaveOccurred())
	defer f.Close()
	owner, err := unix.IoctlRetInt(int(f.Fd()), unix.NS_GET_USERNS)
	if err != nil {
		Expect(err).To(MatchError(unix.EPERM))
		return false
	}
	unix.Close(owner)
	return true
}

// threadGone waits for the thread tid of this process to end.
func threadGone(tid int) {
	GinkgoHelper()
	Eventually(func() error {
		_, err := os.Stat(fmt.Sprintf("/proc/self/task/%d", tid))
		return err
	}).WithTimeout(2 * time.Second).Should(MatchError(os.ErrNotExist))
}

var _ = Describe("transient mount namespaces, notwork style", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	Context("EnterTransient", func() {

		It("moves the thread into a new private mount namespace and back where the kernel allows, then retires the thread", func() {
			dir := mountPoint()
			hostMnt := processMountNsIno()
			before := readFile("/proc/self/mountinfo")
			var tid int
			var inside, after uint64
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) {
				restore := mntns.EnterTransientT(t)
				tid = unix.Gettid()
				inside = mntns.CurrentInoT(t)
				Expect(unix.Mount("tmpfs", dir, "tmpfs", 0, "size=64k")).To(Succeed())
				Expect(os.WriteFile(filepath.Join(dir, "inside"), nil, 0o600)).To(Succeed())
				Expect(readFile("/proc/self/mountinfo")).To(Equal(before), "the process's mounts stay as they were")
				restore()
				after = mntns.CurrentInoT(t)
			})
			Expect(rec.Failures()).To(BeEmpty())
			Expect(inside).NotTo(Equal(hostMnt))
			if processMountNsReachable() {
				Expect(after).To(Equal(hostMnt))
			} else {
				Expect(after).To(Equal(inside), "the kernel does not let the thread back")
				Expect(rec.Logs()).To(ConsistOf(ContainSubstring("stays in its transient mount namespace until its goroutine ends")))
			}
			Expect(filepath.Join(dir, "inside")).NotTo(BeAnExistingFile())
			threadGone(tid)
		})

		It("with MountSysfsRO, shows the transient network namespace read-only in /sys", func() {
			ns := netns.NewTransient()
			dupond, dupont := veth.NewTransient(veth.InNamespace(ns), veth.WithPeerNamespace(ns))
			hostDevices := netDevices()
			var inside []string
			var opts string
			var writeErr error
			done := make(chan struct{})
			go func() {
				defer close(done)
				defer GinkgoRecover()
				netns.Execute(ns, func() {
					defer mntns.EnterTransient()()
					mntns.MountSysfsRO()
					inside = netDevices()
					opts = sysMountOptions()
					writeErr = os.WriteFile("/sys/class/net/"+dupond.Attrs().Name+"/mtu", []byte("1280"), 0)
				})
			}()
			<-done
			Expect(inside).To(ConsistOf("lo", dupond.Attrs().Name, dupont.Attrs().Name))
			Expect(strings.Split(opts, ",")).To(ContainElement("ro"))
			Expect(writeErr).To(MatchError(unix.EROFS))
			Expect(netDevices()).To(Equal(hostDevices))
		})

		It("switches back once, however often its function is called", func() {
			hostMnt := processMountNsIno()
			reachable := processMountNsReachable()
			rec := &testsupport.Recorder{}
			var inside, after uint64
			rec.Run(func(t testing.TB) {
				restore := mntns.EnterTransientT(t)
				inside = mntns.CurrentInoT(t)
				restore()
				restore()
				after = mntns.CurrentInoT(t)
			})
			Expect(rec.Failures()).To(BeEmpty())
			if reachable {
				Expect(after).To(Equal(hostMnt))
				Expect(rec.Logs()).To(BeEmpty())
			} else {
				Expect(after).To(Equal(inside))
				Expect(rec.Logs()).To(HaveLen(1), "one attempt, logged once")
			}
		})
	})
})

var _ = Describe("MountSysfsRO", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("refuses to mount over the process's own /sys", func() {
		before := readFile("/proc/self/mountinfo")
		rec := &testsupport.Recorder{}
		rec.Run(mntns.MountSysfsROT)
		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			HavePrefix("cannot mount sysfs read-only on /sys, reason:"),
			ContainSubstring("the process's own mount namespace"))))
		Expect(readFile("/proc/self/mountinfo")).To(Equal(before))
	})
})

var _ = Describe("NewTransient and Execute", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("creates a mount namespace without entering it, readable through procfsroot, gone after cleanup", func() {
		dir := mountPoint()
		var mntfd int
		var root string
		var tid int
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			mntfd, root = mntns.NewTransientT(t)
			Expect(mntns.InoT(t, mntfd)).NotTo(Equal(mntns.CurrentInoT(t)))
			Expect(root).To(MatchRegexp(`^/proc/\d+/root$`))
			_, err := fmt.Sscanf(root, "/proc/%d/root", &tid)
			Expect(err).NotTo(HaveOccurred())

			mntns.ExecuteT(t, mntfd, func() {
				Expect(unix.Mount("tmpfs", dir, "tmpfs", 0, "size=64k")).To(Succeed())
				Expect(os.WriteFile(filepath.Join(dir, "inside"), []byte("hello"), 0o600)).To(Succeed())
			})
			Expect(filepath.Join(dir, "inside")).NotTo(BeAnExistingFile(), "the mount is not the process's")
			Expect(os.ReadFile(filepath.Join(root, dir, "inside"))).To(Equal([]byte("hello")))
			By("keeping the mount for later calls of Execute")
			mntns.ExecuteT(t, mntfd, func() {
				Expect(filepath.Join(dir, "inside")).To(BeAnExistingFile())
			})
		})
		Expect(rec.Failures()).To(BeEmpty())
		threadGone(tid)
		link, _ := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", mntfd))
		Expect(link).NotTo(HavePrefix("mnt:"), "the fd is closed at cleanup")
	})

	It("runs the function in the caller's network namespace, on a thread that is retired", func() {
		mntfd, _ := mntns.NewTransient()
		ns := netns.NewTransient()
		dupond, _ := veth.NewTransient(veth.InNamespace(ns), veth.WithPeerNamespace(ns))
		var netIno, mntIno uint64
		var devices []string
		var tid int
		netns.Execute(ns, func() {
			mntns.Execute(mntfd, func() {
				tid = unix.Gettid()
				netIno, mntIno = netns.CurrentIno(), mntns.CurrentIno()
				mntns.MountSysfsRO()
				devices = netDevices()
			})
		})
		Expect(netIno).To(Equal(netns.Ino(ns)))
		Expect(mntIno).To(Equal(mntns.Ino(mntfd)))
		Expect(devices).To(ContainElement(dupond.Attrs().Name))
		Expect(mntns.CurrentIno()).To(Equal(processMountNsIno()), "the caller stays where it was")
		threadGone(tid)
	})

	It("carries a panic of the function over to the caller", func() {
		mntfd, _ := mntns.NewTransient()
		Expect(func() { mntns.Execute(mntfd, func() { panic("boom") }) }).To(PanicWith("boom"))
	})

	DescribeTable("refusing what it cannot run, with a clear message",
		func(fdOf func() int, fn func(), reason string) {
			fd := fdOf()
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) { mntns.ExecuteT(t, fd, fn) })
			Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
				HavePrefix(fmt.Sprintf("cannot execute in mount namespace fd %d, reason:", fd)),
				ContainSubstring(reason))))
		},
		Entry("a network namespace fd", func() int { return netns.NewTransient() }, func() {},
			"refers to a network namespace, not a mount namespace"),
		Entry("a negative fd", func() int { return -1 }, func() {}, "invalid file descriptor -1"),
		Entry("a nil function", func() int { fd, _ := mntns.NewTransient(); return fd }, nil, "function is nil"),
	)
})

var _ = Describe("identifying mount namespaces", func() {

	It("tells the current one's fd and inode number, by fd and by path", func() {
		var fd int
		var ino uint64
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			fd = mntns.CurrentT(t)
			ino = mntns.InoT(t, fd)
			Expect(ino).To(Equal(mntns.CurrentInoT(t)))
			Expect(mntns.InoT(t, "/proc/thread-self/ns/mnt")).To(Equal(ino))
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(ino).To(Equal(processMountNsIno()))
		link, _ := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
		Expect(link).NotTo(Equal(fmt.Sprintf("mnt:[%d]", ino)), "Current's fd is closed at cleanup")
	})

	DescribeTable("refusing what is not a mount namespace",
		func(call func(t testing.TB), reason string) {
			rec := &testsupport.Recorder{}
			rec.Run(call)
			Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
				HavePrefix("cannot determine inode number of mount namespace"),
				ContainSubstring(reason))))
		},
		Entry("a network namespace path", func(t testing.TB) { mntns.InoT(t, "/proc/self/ns/net") },
			"refers to a network namespace, not a mount namespace"),
		Entry("a missing path", func(t testing.TB) { mntns.InoT(t, "/nonexisting/mnt") }, "no such file or directory"),
		Entry("a file that is no namespace", func(t testing.TB) { mntns.InoT(t, os.DevNull) }, "is not a namespace reference"),
	)
})
