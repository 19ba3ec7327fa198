package netdevsim_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/internal/testsupport"
)

func TestNetdevsim(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "netdevsim package")
}

var _ = testsupport.Guard()
