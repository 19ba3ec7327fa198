package macvtap_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
)

func TestMacvtap(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "macvtap package")
}

var _ = guard.Suite()
