package bond_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
)

func TestBond(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "bond package")
}

var _ = guard.Suite()
