package veth_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
)

func TestVeth(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "veth package")
}

var _ = guard.Suite()
