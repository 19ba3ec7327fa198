package analyzer_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/scratchnet/scratchnet/cmd/scratchnetvet/analyzer"
	"github.com/scratchnet/scratchnet/cmd/scratchnetvet/internal/gotool"
)

// TestMain gives the go command that analysistest runs a build cache it can
// write, also for a user without a home directory.
func TestMain(m *testing.M) { gotool.Main(m) }

func TestDeferredAndDroppedEnter(t *testing.T) {
	analysistest.RunWithSuggestedFixes(t, analysistest.TestData(), analyzer.Analyzer, "enter")
}

func TestClosingOwnedFds(t *testing.T) {
	analysistest.RunWithSuggestedFixes(t, analysistest.TestData(), analyzer.Analyzer, "ownedfd")
}

func TestGoroutinesLeavingTheNamespace(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), analyzer.Analyzer, "goroutine")
}

func TestProcessesStartedOutsideTheNamespace(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), analyzer.Analyzer, "process")
}
