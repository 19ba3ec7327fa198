package nsops_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
)

func TestNsops(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "nsops package")
}

var _ = guard.Suite()
