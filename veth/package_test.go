package veth_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
)

// reportChild labels the spec that the verbose-report spec runs in a child
// test binary; it runs only when a label filter selects it.
const reportChild = "report-child"

func TestVeth(t *testing.T) {
	RegisterFailHandler(Fail)
	suiteConfig, reporterConfig := GinkgoConfiguration()
	if suiteConfig.LabelFilter == "" {
		suiteConfig.LabelFilter = "!" + reportChild
	}
	RunSpecs(t, "veth package", suiteConfig, reporterConfig)
}

var _ = guard.Suite()
