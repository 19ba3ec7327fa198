package lab_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
)

// deliberateFailure labels a spec that fails on purpose to show what a
// failure report looks like; it runs only when a label filter selects it
// (make demo-failure).
const deliberateFailure = "deliberate-failure"

func TestLab(t *testing.T) {
	RegisterFailHandler(Fail)
	suiteConfig, reporterConfig := GinkgoConfiguration()
	if suiteConfig.LabelFilter == "" {
		suiteConfig.LabelFilter = "!" + deliberateFailure
	}
	RunSpecs(t, "lab package", suiteConfig, reporterConfig)
}

var _ = guard.Suite()
