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

// TestAnalyzer checks the reports and fixes on each testdata package:
// enter (defer netns.EnterTransient() and a dropped restore function),
// ownedfd (closing fds the library owns), goroutine (goroutines in a
// namespace that use the network) and process (goroutines there that start
// processes). They are loaded together, since loading dominates the run.
func TestAnalyzer(t *testing.T) {
	analysistest.RunWithSuggestedFixes(t, analysistest.TestData(), analyzer.Analyzer, "enter", "ownedfd", "goroutine", "process")
}
