package diag_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
)

func TestDiag(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "diag package")
}

var _ = guard.Suite()
