package vrf_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
)

func TestVrf(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "vrf package")
}

var _ = guard.Suite()
