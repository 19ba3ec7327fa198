// Package mntns runs code in a transient mount namespace whose /sys is a
// sysfs of a given network namespace, so that code reading /sys/class/net
// sees that namespace's interfaces.
//
// See docs/namespaces-and-links.md in the repository for the guide to
// namespaces and links.
//
// Besides [ExecuteWithSysfs], it has the building blocks notwork users know:
// [EnterTransient] moves the calling goroutine's thread into a new mount
// namespace, [MountSysfsRO] mounts a read-only sysfs there, [NewTransient]
// creates one without entering it, [Execute] runs a function in one, and
// [Current], [CurrentIno] and [Ino] identify them:
//
//	It("sees the transient network namespace in /sys", func() {
//	    defer netns.EnterTransient()()
//	    defer mntns.EnterTransient()()
//	    mntns.MountSysfsRO()
//	    _, err := os.Stat("/sys/class/net/lo")
//	    Expect(err).NotTo(HaveOccurred())
//	})
//
// sysfs shows the network devices of the network namespace of whoever
// mounted it, not of whoever reads it. A test that moves its goroutine into a
// transient network namespace therefore still sees the host's interfaces
// under /sys/class/net, and none of its own. [ExecuteWithSysfs] fixes that
// for the duration of one function:
//
//	It("lets code that reads /sys/class/net see the namespace", func() {
//	    ns := netns.NewTransient()
//	    dupond, _ := veth.NewTransient(veth.InNamespace(ns), veth.WithPeerNamespace(ns))
//	    mntns.ExecuteWithSysfs(ns, func() {
//	        _, err := os.Stat("/sys/class/net/" + dupond.Attrs().Name)
//	        Expect(err).NotTo(HaveOccurred())
//	    })
//	})
//
// The host's mounts are never touched: the new mount namespace is made
// private (no mount propagation either way) before sysfs is mounted, and it
// disappears with the OS thread it was created on.
//
// # Pitfalls
//
// A mount namespace, like a network namespace, belongs to an OS thread, but
// entering one costs more: the kernel only lets a thread that does not share
// its filesystem attributes (root, working directory, umask) with other
// threads switch mount namespaces, and every Go thread shares them with the
// whole process. So the thread first unshares them (CLONE_FS), and can never
// share them again: from then on, a chdir by the rest of the process would no
// longer apply to it. Such a thread must not go back to Go's thread pool.
// ExecuteWithSysfs and [Execute] therefore run fn on a goroutine of its own,
// locked to its thread, and end that goroutine without unlocking: the Go
// runtime then terminates the thread. [EnterTransient] keeps the caller's
// goroutine locked for the rest of its life, for the same reason. The one
// thread the runtime never terminates is the main thread: importing this
// package keeps it to the main goroutine (runtime.LockOSThread in init), so
// no test or spec ever runs on it, and EnterTransient refuses to run on the
// main goroutine itself (TestMain).
//
// It follows that fn runs on another goroutine than the caller's.
// ExecuteWithSysfs and Execute carry a panic of fn, including a failed Gomega
// assertion, over to the caller's goroutine, but fn must not call
// testing.TB's FailNow, Fatal or Skip family, which only end the goroutine
// they are called on; and goroutines fn starts run on other threads, in
// neither namespace.
//
// The fresh sysfs hides whatever was mounted below /sys (cgroups, debugfs,
// ...) for fn. And not everything in /sys/class/net is an interface: with
// the bonding module loaded, every network namespace's sysfs shows a file
// bonding_masters there; interfaces are the symlinks.
package mntns
