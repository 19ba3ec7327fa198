package sandbox_test

import (
	"fmt"
	"testing"

	"github.com/scratchnet/scratchnet/sandbox"
)

// TestMain runs the package's tests in a sandbox: in a user and network
// namespace of their own when started by an unprivileged user, in a network
// namespace of their own as root, and never in the real host namespace.
func ExampleMain() {
	_ = func(m *testing.M) { // func TestMain(m *testing.M)
		sandbox.Main(m)
	}
}

// A spec can tell how it runs, for instance to explain a skip.
func ExampleCurrent() {
	switch sandbox.Current() {
	case sandbox.UserNS:
		fmt.Println("rootless, as root of a user namespace")
	case sandbox.NetNS:
		fmt.Println("as root, in a network namespace of its own")
	case sandbox.Off:
		fmt.Println("in the caller's namespaces")
	}
}
