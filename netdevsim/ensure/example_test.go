package ensure_test

import (
	"fmt"
	"testing"

	. "github.com/onsi/ginkgo/v2"

	"github.com/scratchnet/scratchnet/netdevsim/ensure"
)

// Specs that need netdevsim skip, with the reason, where the bus is missing
// and cannot be loaded, or where the process may not write to it.
func ExampleSkipUnlessNetdevsim() {
	_ = Describe("code that configures SR-IOV VFs", func() {
		BeforeEach(ensure.SkipUnlessNetdevsim)
	})
}

// The same for plain go test.
func ExampleSkipUnlessNetdevsimT() {
	_ = func(t *testing.T) {
		ensure.SkipUnlessNetdevsimT(t)
	}
}

// Check says why netdevsim devices cannot be made under a sysfs root, or
// nil; it neither loads the module nor skips.
func ExampleCheck() {
	if err := ensure.Check("/sys"); err != nil {
		fmt.Println("no netdevsim:", err)
	}
}
