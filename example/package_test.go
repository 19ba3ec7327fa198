package example_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
)

func TestExample(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "scratchnet examples")
}

// The module's own per-spec leak checks and the host-namespace check; a suite
// outside this module leaves this line out (the package is internal).
var _ = guard.Suite()
