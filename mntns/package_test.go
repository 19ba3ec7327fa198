package mntns_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
)

func TestMntns(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "mntns package")
}

var _ = guard.Suite()
