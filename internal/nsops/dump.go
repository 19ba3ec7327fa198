package nsops

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"
)

// dumpAttempts bounds the retries of an interrupted dump; a namespace that
// changes this often while being listed is being hammered on purpose.
const dumpAttempts = 10

// RetryDump calls a netlink dump until it completes. vishvananda/netlink
// v1.3.1 returns netlink.ErrDumpInterrupted, together with a partial and
// possibly inconsistent result, when the kernel reports that the dumped
// table changed during the dump; such a result is never returned here.
func RetryDump[T any](dump func() ([]T, error)) ([]T, error) {
	var err error
	for range dumpAttempts {
		var out []T
		if out, err = dump(); !errors.Is(err, netlink.ErrDumpInterrupted) {
			return out, err
		}
	}
	return nil, fmt.Errorf("dump interrupted %d times in a row: %w", dumpAttempts, err)
}
