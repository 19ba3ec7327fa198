package testsupport

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/scratchnet/scratchnet/guard"
)

// NeedsRoot is [guard.SkipUnlessPrivileged], kept for suites written before
// the guard package existed.
func NeedsRoot() {
	GinkgoHelper()
	guard.SkipUnlessPrivileged()
}
