package lab

import "github.com/scratchnet/scratchnet/netns"

// Sysctl sets the network sysctl key (such as "net.ipv4.conf.all.rp_filter")
// to value in the host's namespace and returns the value it had; see
// netns.SetSysctl. It goes with the lab's namespaces.
func (h *Host) Sysctl(key, value string) (old string) {
	h.lab.t.Helper()
	return netns.SetSysctlT(h.lab.t, h.netns, key, value)
}
