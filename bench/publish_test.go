//go:build bench

package bench_test

import (
	"fmt"
	"os"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// The tables of the suite's specs, in the order they were published: each
// spec of the suite measures one subject and publishes its own table, and
// the suite writes them all, one after the other, to SCRATCHNET_BENCH_OUT.
var (
	tablesMu sync.Mutex
	tables   []string
)

// publish prints a spec's table to the spec's output and keeps it for the
// file that make bench prints at the end.
func publish(table string) {
	fmt.Fprintln(GinkgoWriter, table)
	tablesMu.Lock()
	defer tablesMu.Unlock()
	tables = append(tables, table)
}

var _ = AfterSuite(func() {
	path := os.Getenv("SCRATCHNET_BENCH_OUT")
	if path == "" {
		return
	}
	tablesMu.Lock()
	defer tablesMu.Unlock()
	Expect(os.WriteFile(path, []byte(strings.Join(tables, "\n")), 0o644)).To(Succeed())
})
