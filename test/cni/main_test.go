package cni_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/test/cni"
)

// TestMain builds the plugins, then runs the suite in the sandbox.
func TestMain(m *testing.M) {
	cni.Main(m)
}

func TestCNI(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "CNI plugins on scratchnet namespaces")
}

var _ = guard.Suite()
