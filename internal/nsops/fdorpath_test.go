package nsops_test

import (
	"os"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// statIno is the inode number of path as stat reports it, for comparison.
func statIno(path string) uint64 {
	GinkgoHelper()
	var st unix.Stat_t
	Expect(unix.Stat(path, &st)).To(Succeed())
	return st.Ino
}

// openRO opens path for a spec, closing it at cleanup.
func openRO(path string) int {
	GinkgoHelper()
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(unix.Close, fd)
	return fd
}

var _ = Describe("namespace references of any type, given as fd or path", func() {

	type nsPath string
	type nsFd int

	It("reads the inode number of a mount namespace from a path or an fd, also of named types", func() {
		want := statIno("/proc/self/ns/mnt")
		Expect(nsops.FdOrPathIno("/proc/self/ns/mnt", unix.CLONE_NEWNS)).To(Equal(want))
		Expect(nsops.FdOrPathIno(nsPath("/proc/self/ns/mnt"), unix.CLONE_NEWNS)).To(Equal(want))
		fd := openRO("/proc/self/ns/mnt")
		Expect(nsops.FdOrPathIno(fd, unix.CLONE_NEWNS)).To(Equal(want))
		Expect(nsops.FdOrPathIno(nsFd(fd), unix.CLONE_NEWNS)).To(Equal(want))
		Expect(nsops.FdOrPathIno("/proc/self/ns/net", unix.CLONE_NEWNET)).To(Equal(statIno("/proc/self/ns/net")))
	})

	It("closes the fd it opened from a path once fn returns, and leaves a given fd open", func() {
		var seen int
		Expect(nsops.WithFdOrPath("/proc/self/ns/mnt", unix.CLONE_NEWNS, func(fd int) error {
			seen = fd
			_, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
			return err
		})).To(Succeed())
		_, err := unix.FcntlInt(uintptr(seen), unix.F_GETFD, 0)
		Expect(err).To(MatchError(unix.EBADF), "fd %d opened for the path is still open", seen)

		given := openRO("/proc/self/ns/mnt")
		Expect(nsops.WithFdOrPath(given, unix.CLONE_NEWNS, func(fd int) error {
			Expect(fd).To(Equal(given))
			return nil
		})).To(Succeed())
		_, err = unix.FcntlInt(uintptr(given), unix.F_GETFD, 0)
		Expect(err).NotTo(HaveOccurred())
	})

	It("does not call fn for what is not a namespace of the type asked for", func() {
		called := false
		fn := func(int) error { called = true; return nil }
		Expect(nsops.WithFdOrPath("/proc/self/ns/net", unix.CLONE_NEWNS, fn)).To(
			MatchError(ContainSubstring("refers to a network namespace, not a mount namespace")))
		Expect(nsops.WithFdOrPath(openRO("/proc/self/ns/uts"), unix.CLONE_NEWNS, fn)).To(
			MatchError(ContainSubstring("refers to a uts namespace, not a mount namespace")))
		Expect(nsops.WithFdOrPath(os.DevNull, unix.CLONE_NEWNET, fn)).To(
			MatchError(ContainSubstring("is not a namespace reference")))
		Expect(nsops.WithFdOrPath(-1, unix.CLONE_NEWNS, fn)).To(MatchError("invalid file descriptor -1"))
		Expect(nsops.WithFdOrPath("/nonexistent/ns/mnt", unix.CLONE_NEWNS, fn)).To(MatchError(unix.ENOENT))
		Expect(called).To(BeFalse())
	})

	It("checks an fd against the namespace type asked for", func() {
		mnt := openRO("/proc/self/ns/mnt")
		Expect(nsops.CheckType(mnt, unix.CLONE_NEWNS)).To(Succeed())
		Expect(nsops.CheckType(mnt, unix.CLONE_NEWNET)).To(MatchError(ContainSubstring("refers to a mount namespace, not a network namespace")))
		Expect(nsops.Check(mnt)).To(MatchError(ContainSubstring("refers to a mount namespace, not a network namespace")))
		_, err := nsops.InoType(openRO("/proc/self/ns/net"), unix.CLONE_NEWNS)
		Expect(err).To(MatchError(ContainSubstring("refers to a network namespace, not a mount namespace")))
	})
})
