package compat_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/sandbox"
)

// TestMain runs the suite in a sandbox of its own: rootless where user
// namespaces allow, and never in the real host network namespace.
func TestMain(m *testing.M) { sandbox.Main(m) }

func TestCompat(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "notwork compatibility")
}

var _ = guard.Suite()
