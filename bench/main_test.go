//go:build bench

package bench_test

import (
	"testing"

	"github.com/scratchnet/scratchnet/sandbox"
)

// TestMain runs the benchmarks in a sandbox of their own, like every suite.
func TestMain(m *testing.M) { sandbox.Main(m) }
