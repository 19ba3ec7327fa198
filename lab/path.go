package lab

import "github.com/scratchnet/scratchnet/netns"

// Path returns a file system path of the host's network namespace, for
// software that takes one, such as a CNI plugin's CNI_NETNS or "nsenter
// --net=PATH"; see [netns.Path] for who can open it and for how long. The
// path is removed when the node that made it ends.
//
//	cni := exec.Command("/opt/cni/bin/bridge")
//	cni.Env = append(os.Environ(), "CNI_COMMAND=ADD", "CNI_NETNS="+alice.Path(), ...)
func (h *Host) Path() string {
	h.lab.t.Helper()
	return netns.PathT(h.lab.t, h.netns)
}
