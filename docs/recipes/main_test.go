package recipes_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/test/cni"
)

// TestMain builds the CNI plugins of the CNI recipe once into the user's
// cache directory, as the CNI suite in test/cni does, and then runs the
// recipes in the sandbox: in a user namespace of their own when started by
// an unprivileged user.
func TestMain(m *testing.M) {
	cni.Main(m)
}

func TestRecipes(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "scratchnet recipes")
}

var _ = guard.Suite()
