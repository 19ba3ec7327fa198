package testsupport

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"

	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/leaks"
	"github.com/scratchnet/scratchnet/snapshot"
)

// OpenFDs maps each open fd of the process to what it refers to, failing
// the spec when it cannot.
func OpenFDs() map[int]string { return must(leaks.OpenFDs()) }

// ThreadNetnsInos maps each thread (task id) of the process to the inode
// number of the network namespace it is in, failing the spec when it
// cannot.
func ThreadNetnsInos() map[int]uint64 { return must(leaks.ThreadNetnsInos()) }

// HostSnapshot describes the links, addresses and routes of the process's
// network namespace as sorted lines of package snapshot, failing the spec
// when it cannot.
func HostSnapshot() []string {
	s := must(snapshot.Collect(fmt.Sprintf("/proc/%d/ns/net", unix.Getpid()),
		snapshot.Only(snapshot.Links, snapshot.Addresses, snapshot.Routes)))
	return s.Lines()
}

func must[T any](v T, err error) T {
	if err != nil {
		Fail(err.Error(), 2)
	}
	return v
}
