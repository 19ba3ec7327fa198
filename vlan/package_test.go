package vlan_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/internal/testsupport"
)

func TestVlan(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "vlan package")
}

var _ = testsupport.Guard()
