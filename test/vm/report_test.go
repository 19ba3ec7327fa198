package main

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("the report", func() {
	passing := func(pkg string, n int) *suiteResult {
		return &suiteResult{Pkg: pkg, Began: true, Ended: true, HaveCounts: true, Ran: n, Total: n, Passed: n, Skipped: 1}
	}

	It("ends in the closing line summing all suites on all kernels", func() {
		a := &bootResult{Kernel: "bookworm", Done: true, Suites: []*suiteResult{passing("x", 3), passing("y", 2)}}
		b := &bootResult{Kernel: "bookworm-backports", Done: true, Suites: []*suiteResult{passing("x", 3), passing("y", 2)}}
		var out strings.Builder
		t := writeReport(&out, []*bootResult{a, b})
		Expect(t.String()).To(Equal("10 passed, 0 failed, 4 skipped"))
		Expect(out.String()).To(ContainSubstring("PASS bookworm-backports y: ran 2 of 2 specs, 2 passed, 0 failed, 0 pending, 1 skipped"))
		Expect(out.String()).NotTo(ContainSubstring("Failures:"))
	})

	It("repeats failing specs, build errors and boot problems, and counts each", func() {
		failing := &suiteResult{Pkg: "link", Began: true, Ended: true, Exit: 1, HaveCounts: true, Ran: 4, Total: 4, Passed: 3, Failed: 1,
			Failures: []string{"links [It] come up"}}
		broken := &suiteResult{Pkg: "dummy", BuildError: "cannot build the test binary for dummy, reason: exit status 1\n./x.go:1: undefined: y"}
		a := &bootResult{Kernel: "bookworm", Done: true, Suites: []*suiteResult{failing, broken}}
		b := &bootResult{Kernel: "bookworm-backports", Problem: "cannot finish the guest run, reason: timed out after 1s",
			Suites: []*suiteResult{{Pkg: "link"}, {Pkg: "dummy", BuildError: broken.BuildError}}}
		var out strings.Builder
		t := writeReport(&out, []*bootResult{a, b})
		// bookworm: one failed spec and one build error; backports: a suite
		// that never started, the same build error, and the timeout.
		Expect(t).To(Equal(totals{Passed: 3, Failed: 5}))
		text := out.String()
		Expect(text).To(ContainSubstring("FAIL bookworm link: ran 4 of 4 specs, 3 passed, 1 failed, 0 pending, 0 skipped (1 failure(s))\n    [FAIL] links [It] come up"))
		Expect(text).To(ContainSubstring("FAIL bookworm dummy (test binary did not build)"))
		Expect(strings.Count(text, "undefined: y")).To(Equal(1))
		Expect(text).To(ContainSubstring("FAIL bookworm-backports: cannot finish the guest run, reason: timed out after 1s"))
	})
})
