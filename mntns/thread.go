package mntns

// EnterWithSysfs moves the calling thread, which the caller has locked to
// its goroutine, into the network namespace netnsfd refers to and into a new,
// private mount namespace in which a sysfs of that network namespace is
// mounted on /sys. A process forked from the thread afterwards starts there,
// so tools that read /sys/class/net see that namespace's interfaces.
//
// The thread can never go back to Go's thread pool (see the package
// documentation): the caller must keep it locked until its goroutine ends,
// and must not call this on the process's main thread. On error the thread
// may already have left its namespaces and is just as unusable.
func EnterWithSysfs(netnsfd int) error {
	return enterWithSysfs(netnsfd)
}
