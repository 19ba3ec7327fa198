package analyzer_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/scratchnet/scratchnet/cmd/scratchnetvet/analyzer"
)

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
