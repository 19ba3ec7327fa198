package closer_test

import (
	"testing"

	"github.com/scratchnet/scratchnet/sandbox"
)

// TestMain runs the tests in a sandbox of their own, like every suite.
func TestMain(m *testing.M) { sandbox.Main(m) }
