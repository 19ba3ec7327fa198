package capture

import (
	"fmt"

	"github.com/scratchnet/scratchnet/internal/diag"
	"github.com/scratchnet/scratchnet/internal/nsops"
)

func init() {
	diag.AddSection("captures", reportLines)
}

// reportLines describes the captures of a namespace: per interface, what
// was captured and where the file is, then its last packets decoded.
func reportLines(nsFd int) []string {
	ino, err := nsops.Ino(nsFd)
	if err != nil {
		return nil
	}
	var lines []string
	for _, c := range capturesOf(ino) {
		lines = append(lines, c.summary(c.session.t.Failed()))
		last := c.Lines()
		if len(last) == 0 {
			continue
		}
		lines = append(lines, fmt.Sprintf("  last %d packets:", len(last)))
		for _, l := range last {
			lines = append(lines, "    "+l)
		}
	}
	return lines
}
