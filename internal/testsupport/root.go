package testsupport

import (
	"os"

	. "github.com/onsi/ginkgo/v2"
)

// NeedsRoot skips the current spec with "needs root" unless the process runs
// with effective uid 0.
func NeedsRoot() {
	GinkgoHelper()
	if os.Geteuid() != 0 {
		Skip("needs root")
	}
}
