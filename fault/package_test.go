package fault_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
)

// deliberateFailure labels a spec that fails on purpose to show the fault
// timeline in a failure report; it runs only when a label filter selects it.
const deliberateFailure = "deliberate-failure"

func TestFault(t *testing.T) {
	RegisterFailHandler(Fail)
	suiteConfig, reporterConfig := GinkgoConfiguration()
	if suiteConfig.LabelFilter == "" {
		suiteConfig.LabelFilter = "!" + deliberateFailure
	}
	RunSpecs(t, "fault package", suiteConfig, reporterConfig)
}

var _ = guard.Suite()
