package fault_test

import (
	"testing"

	"github.com/scratchnet/scratchnet/sandbox"
)

// TestMain runs the suite in a sandbox of its own: rootless where user
// namespaces allow, and never in the real host network namespace.
func TestMain(m *testing.M) { sandbox.Main(m) }
