package tuntap_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
)

func TestTuntap(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "tuntap package")
}

var _ = guard.Suite()
