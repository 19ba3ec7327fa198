package bond_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/internal/testsupport"
)

func TestBond(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "bond package")
}

var _ = testsupport.Guard()
