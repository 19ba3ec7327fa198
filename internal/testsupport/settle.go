package testsupport

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"time"
)

// LiveNamespaces returns the number of network namespaces the kernel holds,
// dying ones included, as the active objects of the net_namespace cache in
// /proc/slabinfo. ok is false where that file cannot be read (it is root's
// only, so in a user namespace too) or has no such line.
func LiveNamespaces() (n int, ok bool) {
	f, err := os.Open("/proc/slabinfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 1 && fields[0] == "net_namespace" {
			n, err := strconv.Atoi(fields[1])
			return n, err == nil
		}
	}
	return 0, false
}

// SettleNamespaces waits, for at most the given time, until the kernel has
// destroyed the network namespaces closed before the call. Closing a
// namespace's last reference only queues its destruction (cleanup_net, on a
// kernel worker), which unregisters all the dying namespaces' devices
// holding the RTNL lock: after a lab of hundreds of hosts, on an emulated
// kernel, that holds off the links of the next spec for seconds. The wait
// ends when the count of [LiveNamespaces] is at most target, or where it
// cannot be read, after a fixed two seconds.
func SettleNamespaces(target int, within time.Duration) {
	if _, ok := LiveNamespaces(); !ok {
		time.Sleep(2 * time.Second)
		return
	}
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if n, _ := LiveNamespaces(); n <= target {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}
