package sandbox_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/sandbox"
)

func TestMain(m *testing.M) { sandbox.Main(m) }

func TestSandbox(t *testing.T) {
	RegisterFailHandler(Fail)
	suiteConfig, reporterConfig := GinkgoConfiguration()
	if suiteConfig.LabelFilter == "" {
		// The probe specs answer the specs that run this binary afresh.
		suiteConfig.LabelFilter = "!probe"
	}
	RunSpecs(t, "sandbox package", suiteConfig, reporterConfig)
}

var _ = guard.Suite()
