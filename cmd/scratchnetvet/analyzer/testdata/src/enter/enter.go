package enter

import (
	"testing"

	"github.com/scratchnet/scratchnet/mntns"
	"github.com/scratchnet/scratchnet/netns"
	nwnetns "github.com/thediveo/notwork/netns"
)

func deferredEnter() {
	defer netns.EnterTransient() // want `defer netns.EnterTransient\(\) defers entering the namespace, not leaving it: .* defer netns.EnterTransient\(\)\(\)`
}

func deferredEnterT(t *testing.T) {
	defer netns.EnterTransientT(t) // want `defer netns.EnterTransientT\(t\) defers entering`
}

func deferredMountEnter() {
	defer mntns.EnterTransient() // want `defer mntns.EnterTransient\(\) defers entering`
}

func deferredNotworkEnter() {
	defer nwnetns.EnterTransient() // want `defer nwnetns.EnterTransient\(\) defers entering`
}

func droppedRestore() {
	netns.EnterTransient() // want `netns.EnterTransient\(\) returns the function that switches back, and it is dropped: .* write defer netns.EnterTransient\(\)\(\)`
}

func correct() {
	defer netns.EnterTransient()()
	restore := netns.EnterTransient()
	restore()
}
