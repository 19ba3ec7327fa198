package vrf_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/internal/testsupport"
)

func TestVrf(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "vrf package")
}

var _ = testsupport.Guard()
