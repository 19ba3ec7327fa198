package main

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("the report", func() {
	passing := func(pass, pkg string, n int) *suiteResult {
		return &suiteResult{Pass: pass, Pkg: pkg, Began: true, Ended: true, HaveCounts: true, Ran: n, Total: n, Passed: n, Skipped: 1}
	}
	both := []string{"root", "nobody"}

	It("ends in the closing line summing all suites of all passes on all kernels", func() {
		a := &bootResult{Kernel: "bookworm", Done: true, Expected: both, Suites: []*suiteResult{
			passing("root", "x", 3), passing("root", "y", 2), passing("nobody", "x", 3), passing("nobody", "y", 2)}}
		b := &bootResult{Kernel: "bookworm-backports", Done: true, Expected: both, Suites: []*suiteResult{
			passing("root", "x", 3), passing("root", "y", 2), passing("nobody", "x", 3), passing("nobody", "y", 2)}}
		b.Line(markerPrefix + " pass-begin nobody 10.5")
		b.Line(markerPrefix + " pass-end nobody 40.5 exit=0")
		var out strings.Builder
		t := writeReport(&out, []*bootResult{a, b})
		Expect(t.String()).To(Equal("20 passed, 0 failed, 8 skipped"))
		text := out.String()
		Expect(text).To(ContainSubstring("PASS bookworm-backports root y: ran 2 of 2 specs, 2 passed, 0 failed, 0 pending, 1 skipped"))
		Expect(text).To(ContainSubstring("PASS bookworm-backports nobody y: ran 2 of 2 specs, 2 passed, 0 failed, 0 pending, 1 skipped"))
		Expect(text).To(ContainSubstring("pass root on bookworm: 2 of 2 suites passed, ran 5 specs, 5 passed, 0 failed, 2 skipped\n"))
		Expect(text).To(ContainSubstring("pass nobody on bookworm-backports: 2 of 2 suites passed, ran 5 specs, 5 passed, 0 failed, 2 skipped, 30s in the guest\n"))
		Expect(text).To(ContainSubstring("unprivileged share on bookworm: nobody ran 5 of 5 specs root ran (100%, ok)"))
		Expect(text).NotTo(ContainSubstring("Failures:"))
	})

	It("lists what nobody skipped, by package and reason", func() {
		nobody := passing("nobody", "sandbox", 4)
		nobody.Skips = []skippedSpec{{"[It] a", "needs root"}, {"[It] b", "needs root"}, {"[It] c", "needs a NIC"}}
		r := &bootResult{Kernel: "bookworm", Done: true, Expected: both, Suites: []*suiteResult{passing("root", "sandbox", 5), nobody}}
		var out strings.Builder
		writeReport(&out, []*bootResult{r})
		Expect(out.String()).To(ContainSubstring("skipped as nobody on bookworm, by package and reason:\n" +
			"    sandbox: 2 skipped: needs root\n" +
			"    sandbox: 1 skipped: needs a NIC\n"))
	})

	DescribeTable("holds nobody to 80% of the specs root ran",
		func(root, nobody int, want string) {
			r := &bootResult{Kernel: "bookworm", Done: true, Expected: both, Suites: []*suiteResult{
				passing("root", "x", root), passing("nobody", "x", nobody)}}
			var out strings.Builder
			t := writeReport(&out, []*bootResult{r})
			if want == "" {
				Expect(r.BootFailures()).To(BeEmpty())
				Expect(t.Failed).To(BeZero())
				return
			}
			Expect(r.BootFailures()).To(Equal([]string{want}))
			Expect(t.Failed).To(Equal(1))
			Expect(out.String()).To(ContainSubstring("FAIL bookworm: " + want))
			Expect(out.String()).To(ContainSubstring("below the 80% required"))
		},
		Entry("all of them", 100, 100, ""),
		Entry("exactly 80%", 100, 80, ""),
		Entry("just under", 100, 79, "cannot accept unprivileged run on bookworm, reason: nobody ran 79 of 100 specs root ran (< 80%)"),
		Entry("a sliver", 50, 1, "cannot accept unprivileged run on bookworm, reason: nobody ran 1 of 50 specs root ran (< 80%)"),
	)

	It("compares the passes only when both ran to the end", func() {
		r := &bootResult{Kernel: "bookworm", Done: true, Expected: []string{"root"}, Suites: []*suiteResult{passing("root", "x", 10)}}
		Expect(r.BootFailures()).To(BeEmpty())
		r = &bootResult{Kernel: "bookworm", Expected: both, Suites: []*suiteResult{passing("root", "x", 10), {Pass: "nobody", Pkg: "x"}}}
		Expect(r.BootFailures()).To(Equal([]string{"the guest stopped before its init script finished"}))
	})

	It("repeats failing specs, reasonless skips, build errors and boot problems, and counts each", func() {
		failing := &suiteResult{Pass: "root", Pkg: "link", Began: true, Ended: true, Exit: 1, HaveCounts: true, Ran: 4, Total: 4, Passed: 3, Failed: 1,
			Failures: []string{"links [It] come up"}}
		broken := &suiteResult{Pass: "root", Pkg: "dummy", BuildError: "cannot build the test binary for dummy, reason: exit status 1\n./x.go:1: undefined: y"}
		silent := passing("nobody", "link", 4)
		silent.Skips = []skippedSpec{{Spec: "[It] links skip quietly"}}
		a := &bootResult{Kernel: "bookworm", Done: true, Expected: []string{"root", "nobody"}, Suites: []*suiteResult{failing, broken, silent,
			{Pass: "nobody", Pkg: "dummy", BuildError: broken.BuildError}}}
		b := &bootResult{Kernel: "bookworm-backports", Problem: "cannot finish the guest run, reason: timed out after 1s", Expected: []string{"root"},
			Suites: []*suiteResult{{Pass: "root", Pkg: "link"}, {Pass: "root", Pkg: "dummy", BuildError: broken.BuildError}}}
		var out strings.Builder
		t := writeReport(&out, []*bootResult{a, b})
		// bookworm: one failed spec, a build error in each pass and one
		// reasonless skip; backports: a suite that never started, the same
		// build error, and the timeout.
		Expect(t).To(Equal(totals{Passed: 7, Failed: 7, Skipped: 1}))
		text := out.String()
		Expect(text).To(ContainSubstring("FAIL bookworm root link: ran 4 of 4 specs, 3 passed, 1 failed, 0 pending, 0 skipped (1 failure(s))\n    [FAIL] links [It] come up"))
		Expect(text).To(ContainSubstring("FAIL bookworm nobody link: ran 4 of 4 specs, 4 passed, 0 failed, 0 pending, 1 skipped (1 spec(s) skipped without a stated reason)\n    [SKIPPED without a reason] [It] links skip quietly"))
		Expect(text).To(ContainSubstring("    link: 1 skipped: (no reason given: [It] links skip quietly)"))
		Expect(text).To(ContainSubstring("FAIL bookworm root dummy (test binary did not build)"))
		Expect(strings.Count(text, "undefined: y")).To(Equal(1))
		Expect(text).To(ContainSubstring("FAIL bookworm-backports: cannot finish the guest run, reason: timed out after 1s"))
	})
})

var _ = Describe("what the host could not prepare", func() {
	It("fails a kernel whose netdevsim could not be built, saying why", func() {
		r := &bootResult{Kernel: "sid", Done: true, Setup: []string{"cannot build netdevsim for kernel 7.2.13+deb14-amd64, reason: make: exit status 2"}}
		Expect(r.BootFailures()).To(ConsistOf("cannot build netdevsim for kernel 7.2.13+deb14-amd64, reason: make: exit status 2"))
		var t totals
		t.countBoot(r)
		Expect(t.Failed).To(Equal(1))
	})
})
