package mntns_test

import (
	"os"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/mntns"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

// Code that reads /sys/class/net sees the interfaces of a transient network
// namespace. It only compiles here: it needs the privilege to create
// namespaces and mount sysfs.
func ExampleExecuteWithSysfs() {
	It("lets code that reads /sys/class/net see the namespace", func() {
		ns := netns.NewTransient()
		dupond, _ := veth.NewTransient(veth.InNamespace(ns), veth.WithPeerNamespace(ns))
		mntns.ExecuteWithSysfs(ns, func() {
			_, err := os.Stat("/sys/class/net/" + dupond.Attrs().Name)
			Expect(err).NotTo(HaveOccurred())
		})
	})
}

// The building blocks notwork users know: enter a transient network and
// mount namespace, then mount a read-only sysfs there.
func ExampleEnterTransient() {
	It("sees the transient network namespace in /sys", func() {
		defer netns.EnterTransient()()
		defer mntns.EnterTransient()()
		mntns.MountSysfsRO()
		_, err := os.Stat("/sys/class/net/lo")
		Expect(err).NotTo(HaveOccurred())
	})
}
