package netdevsim_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
)

func TestNetdevsim(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "netdevsim package")
}

var _ = guard.Suite()
