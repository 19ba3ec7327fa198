package mntns_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/internal/testsupport"
)

func TestMntns(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "mntns package")
}

var _ = testsupport.Guard()
