package netkit_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
)

func TestNetkit(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "netkit package")
}

var _ = guard.Suite()
