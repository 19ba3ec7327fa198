package main

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("parsing Ginkgo's output", func() {
	const pkg = "example.com/gsample"

	It("reads counts and the names of failed specs from a failing suite", func() {
		s := feed(pkg, readTestdata("ginkgo-fail.txt"))
		Expect(s.HaveCounts).To(BeTrue())
		Expect([]int{s.Ran, s.Total, s.Passed, s.Failed, s.Pending, s.Skipped}).To(Equal([]int{3, 5, 1, 2, 1, 1}))
		Expect(s.Failures).To(Equal([]string{"Widget [It] fails badly [kind]", "Widget nested [It] also fails"}))
		Expect(s.OK()).To(BeFalse())
	})

	It("passes a suite that ran specs, ended and exited 0", func() {
		r := &bootResult{}
		r.Line(markerPrefix + " begin " + pkg)
		for _, l := range strings.Split(readTestdata("ginkgo-pass.txt"), "\n") {
			r.Line(l)
		}
		r.Line(markerPrefix + " end " + pkg + " exit=0")
		s := r.suite(pkg)
		Expect([]int{s.Ran, s.Total, s.Passed, s.Failed, s.Pending, s.Skipped}).To(Equal([]int{1, 5, 1, 0, 1, 3}))
		Expect(s.OK()).To(BeTrue())
		Expect(s.Problem()).To(BeEmpty())
		Expect(s.FailedCount()).To(BeZero())
	})

	It("reads verbose output the same way", func() {
		s := feed(pkg, readTestdata("ginkgo-verbose.txt"))
		Expect([]int{s.Ran, s.Passed, s.Failed}).To(Equal([]int{1, 1, 0}))
	})

	It("fails a suite that ran zero specs even though it exited 0", func() {
		s := feed(pkg, readTestdata("ginkgo-zero.txt"))
		s.Ended = true
		Expect(s.OK()).To(BeFalse())
		Expect(s.Problem()).To(Equal("ran zero specs"))
		Expect(s.FailedCount()).To(Equal(1))
	})

	It("names a failed BeforeSuite, for which Ginkgo prints no counts", func() {
		s := feed(pkg, readTestdata("ginkgo-beforesuite-fail.txt"))
		s.Ended, s.Exit = true, 1
		Expect(s.Failures).To(Equal([]string{"[BeforeSuite]"}))
		Expect(s.OK()).To(BeFalse())
		Expect(s.FailedCount()).To(Equal(1))
	})

	It("reads a real guest console: kernel, NIC state, suites and the end of init", func() {
		r := &bootResult{}
		for _, l := range strings.Split(readTestdata("guest-console.txt"), "\n") {
			r.Line(cleanConsoleLine(l))
		}
		Expect(r.KernelRelease).To(Equal("6.1.0-50-amd64"))
		Expect(r.Eth0).To(Equal("up"))
		Expect(r.Done).To(BeTrue())
		Expect(r.Suites).To(HaveLen(4))
		netns := r.suite("github.com/scratchnet/scratchnet/netns")
		Expect(netns.OK()).To(BeTrue())
		Expect([]int{netns.Ran, netns.Passed}).To(Equal([]int{13, 13}))
		link := r.suite("github.com/scratchnet/scratchnet/link")
		Expect(link.OK()).To(BeFalse())
		Expect([]int{link.Ran, link.Passed, link.Failed, link.Exit}).To(Equal([]int{36, 34, 2, 1}))
		Expect(link.Failures).To(ContainElement("bringing links up [It] brings up both ends of a veth pair living in other namespaces"))
		Expect(r.BootFailures()).To(BeEmpty())
	})

	It("finds markers after a half-written line and reports a suite that never ended", func() {
		r := &bootResult{}
		r.Line(markerPrefix + " begin a")
		r.Line("panic: boom" + markerPrefix + " end a exit=2")
		r.Line(markerPrefix + " begin b")
		r.Line("Ran 1 of 1 Specs in 0.1 seconds")
		Expect(r.suite("a").Ended).To(BeTrue())
		Expect(r.suite("a").Exit).To(Equal(2))
		Expect(r.suite("a").Problem()).To(Equal("test binary exited with status 2"))
		b := r.suite("b")
		Expect(b.Problem()).To(ContainSubstring("no end marker"))
		Expect(r.BootFailures()).To(ConsistOf(ContainSubstring("before its init script finished")))
	})

	It("records modules the guest could not load as boot failures", func() {
		r := &bootResult{}
		r.Line(markerPrefix + " modprobe-failed vrf")
		r.Line(markerPrefix + " done")
		Expect(r.BootFailures()).To(Equal([]string{"cannot load module vrf in the guest"}))
	})

	It("strips the console's terminal control sequences", func() {
		Expect(cleanConsoleLine("\x1bc\x1b[?7l\x1b[2J@@scratchnet-vm kernel 6.1\r")).To(Equal("@@scratchnet-vm kernel 6.1"))
		Expect(cleanConsoleLine("\x1b[0mSeaBIOS\ttab")).To(Equal("SeaBIOS\ttab"))
	})
})
