package testsupport

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/scratchnet/scratchnet/internal/leaks"
)

// OpenFDs maps each open fd of the process to what it refers to, failing
// the spec when it cannot.
func OpenFDs() map[int]string { return must(leaks.OpenFDs()) }

// ThreadNetnsInos maps each thread (task id) of the process to the inode
// number of the network namespace it is in, failing the spec when it
// cannot.
func ThreadNetnsInos() map[int]uint64 { return must(leaks.ThreadNetnsInos()) }

// HostSnapshot describes the links, addresses and routes of the process's
// network namespace as sorted lines, failing the spec when it cannot.
func HostSnapshot() []string { return must(leaks.HostSnapshot()) }

func must[T any](v T, err error) T {
	if err != nil {
		Fail(err.Error(), 2)
	}
	return v
}
