package compat_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/mntns"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

// netDevices lists the interfaces /sys/class/net shows the calling thread.
func netDevices() []string {
	GinkgoHelper()
	entries, err := os.ReadDir("/sys/class/net")
	Expect(err).NotTo(HaveOccurred())
	var names []string
	for _, e := range entries {
		if e.Type()&os.ModeSymlink != 0 {
			names = append(names, e.Name())
		}
	}
	return names
}

var _ = Describe("mntns, as notwork users call it", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("creates transient mount and network namespaces and mounts a sysfs (EnterTransient, MountSysfsRO)", func() {
		defer netns.EnterTransient()()
		dupond, dupont := veth.NewTransient()
		defer mntns.EnterTransient()()
		mntns.MountSysfsRO()
		Expect(netDevices()).To(ConsistOf("lo", dupond.Attrs().Name, dupont.Attrs().Name))
	})

	It("creates a mount namespace without entering it and executes in it (NewTransient, Execute, Current, Ino)", func() {
		defer netns.EnterTransient()()
		dupond, _ := veth.NewTransient()
		mntnsfd, procfsroot := mntns.NewTransient()
		var inside uint64
		var devices []string
		mntns.Execute(mntnsfd, func() {
			inside = mntns.Ino(mntns.Current())
			mntns.MountSysfsRO()
			devices = netDevices()
		})
		Expect(inside).To(Equal(mntns.Ino(mntnsfd)))
		Expect(mntns.Ino(mntnsfd)).NotTo(Equal(mntns.Ino("/proc/thread-self/ns/mnt")))
		Expect(devices).To(ContainElement(dupond.Attrs().Name))
		Expect(filepath.Join(procfsroot, "sys/class/net", dupond.Attrs().Name)).To(BeAnExistingFile())
		Expect(filepath.Join("/sys/class/net", dupond.Attrs().Name)).NotTo(BeAnExistingFile())
	})
})
