package nsops

import (
	"errors"
	"fmt"
	"time"

	"github.com/vishvananda/netlink"
)

// dumpPatience bounds how long RetryDump keeps trying: a namespace that
// changes so fast that no dump completes for that long is being hammered on
// purpose, and the caller should hear about it.
const dumpPatience = 2 * time.Second

// RetryDump calls a netlink dump until it completes. vishvananda/netlink
// v1.3.1 returns netlink.ErrDumpInterrupted, together with a partial and
// possibly inconsistent result, when the kernel reports that the dumped
// table changed during the dump; such a result is never returned here.
// Retries back off a little, so that a burst of changes can pass.
func RetryDump[T any](dump func() ([]T, error)) ([]T, error) {
	deadline := time.Now().Add(dumpPatience)
	pause := 100 * time.Microsecond
	for attempts := 1; ; attempts++ {
		out, err := dump()
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			return out, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("dump interrupted %d times in a row within %s: %w", attempts, dumpPatience, err)
		}
		time.Sleep(pause)
		pause = min(2*pause, 10*time.Millisecond)
	}
}
