package impair_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/internal/testsupport"
)

func TestImpair(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "impair package")
}

var _ = testsupport.Guard()
