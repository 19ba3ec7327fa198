// Command scratchnetvet reports the mistakes users of scratchnet (and of
// thediveo/notwork) make with namespaces: a restore function that is never
// called, an fd closed that the library owns, and goroutines or processes
// started where they do not run in the namespace the code expects.
//
// Run it on its own,
//
//	go run github.com/scratchnet/scratchnet/cmd/scratchnetvet ./...
//
// or as a vet tool, with the go command's package loading and caching:
//
//	go build -o /tmp/scratchnetvet github.com/scratchnet/scratchnet/cmd/scratchnetvet
//	go vet -vettool=/tmp/scratchnetvet ./...
//
// Each report names file:line and says how to fix it; -fix applies the
// fixes that can be made mechanically (a missing call of a restore
// function, a close to drop). See package analyzer for the checks.
package main

import (
	"golang.org/x/tools/go/analysis/singlechecker"

	"github.com/scratchnet/scratchnet/cmd/scratchnetvet/analyzer"
)

func main() { singlechecker.Main(analyzer.Analyzer) }
