package leaks_test

import (
	"testing"

	"github.com/scratchnet/scratchnet/sandbox"
)

// TestMain runs the tests in a sandbox of its own, never in the real host
// network namespace, which the guard's host check would otherwise share
// with whatever else runs there.
func TestMain(m *testing.M) { sandbox.Main(m) }
