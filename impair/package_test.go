package impair_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
)

func TestImpair(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "impair package")
}

var _ = guard.Suite()
