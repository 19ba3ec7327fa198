package netkit_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/internal/testsupport"
)

func TestNetkit(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "netkit package")
}

var _ = testsupport.Guard()
