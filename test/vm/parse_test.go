package main

import (
	"strings"
	"time"

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
		var ended []*suiteResult
		r.OnSuiteEnd = func(s *suiteResult) { ended = append(ended, s) }
		r.Line(markerPrefix + " begin nobody " + pkg)
		for _, l := range strings.Split(readTestdata("ginkgo-pass.txt"), "\n") {
			r.Line(l)
		}
		r.Line(markerPrefix + " end nobody " + pkg + " exit=0")
		s := r.suite("nobody", pkg)
		Expect(ended).To(Equal([]*suiteResult{s}))
		Expect(r.suite("root", pkg).Began).To(BeFalse(), "each pass has suites of its own")
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

	It("reads a real guest console: kernel, NIC state, both passes, their suites and skips, and the end of init", func() {
		r := &bootResult{Kernel: "bookworm", Expected: []string{"root", "nobody"}}
		for _, l := range strings.Split(readTestdata("guest-console.txt"), "\n") {
			r.Line(cleanConsoleLine(l))
		}
		Expect(r.KernelRelease).To(Equal("6.1.0-50-amd64"))
		Expect(r.Eth0).To(Equal("up"))
		Expect(r.Done).To(BeTrue())
		Expect(r.Suites).To(HaveLen(8))
		Expect(r.PassSuites("root")).To(HaveLen(4))
		Expect(r.findPass("nobody").Identity).To(Equal("65534:65534"))
		Expect(r.findPass("root").Elapsed().Round(10 * time.Millisecond)).To(Equal(17070 * time.Millisecond))

		for _, pass := range []string{"root", "nobody"} {
			netns := r.suite(pass, "github.com/scratchnet/scratchnet/netns")
			Expect(netns.OK()).To(BeTrue(), pass)
			Expect([]int{netns.Ran, netns.Passed}).To(Equal([]int{18, 18}), pass)
			sb := r.suite(pass, "github.com/scratchnet/scratchnet/sandbox")
			Expect(sb.Skips).To(Equal([]skippedSpec{{
				Spec:   "[It] the sandbox leaves the real host network namespace untouched, even as root",
				Reason: "needs root (the check reads the real host's namespace, which only root may enter)",
			}}), pass)
		}
		Expect(r.suite("root", "github.com/scratchnet/scratchnet/tuntap").OK()).To(BeTrue())
		tuntap := r.suite("nobody", "github.com/scratchnet/scratchnet/tuntap")
		Expect(tuntap.OK()).To(BeFalse())
		Expect([]int{tuntap.Ran, tuntap.Passed, tuntap.Failed, tuntap.Exit}).To(Equal([]int{13, 12, 1, 1}))
		Expect(tuntap.Failures).To(ConsistOf("transient tun and tap devices [It] sets owner, group and flags, as the kernel reports back"))
		Expect(r.ranInPass("root")).To(Equal(184))
		Expect(r.ranInPass("nobody")).To(Equal(184))
		Expect(r.BootFailures()).To(BeEmpty())
	})

	It("finds markers after a half-written line and reports a suite that never ended", func() {
		r := &bootResult{}
		r.Line(markerPrefix + " begin root a")
		r.Line("panic: boom" + markerPrefix + " end root a exit=2")
		r.Line(markerPrefix + " begin root b")
		r.Line("Ran 1 of 1 Specs in 0.1 seconds")
		Expect(r.suite("root", "a").Ended).To(BeTrue())
		Expect(r.suite("root", "a").Exit).To(Equal(2))
		Expect(r.suite("root", "a").Problem()).To(Equal("test binary exited with status 2"))
		b := r.suite("root", "b")
		Expect(b.Problem()).To(ContainSubstring("no end marker"))
		Expect(r.BootFailures()).To(ConsistOf(ContainSubstring("before its init script finished")))
	})

	It("reads the passes: identity, guest times and exit status", func() {
		r := &bootResult{Kernel: "bookworm"}
		var ended []string
		r.OnPassEnd = func(p *passResult) { ended = append(ended, p.Name) }
		r.Line(markerPrefix + " pass-begin root 4.58")
		r.Line(markerPrefix + " identity root 0:0")
		r.Line(markerPrefix + " pass-end root 9.60 exit=0")
		r.Line(markerPrefix + " pass-begin nobody 9.62")
		r.Line(markerPrefix + " identity nobody 65534:65534")
		r.Line(markerPrefix + " pass-end nobody 13.17 exit=1")
		r.Line(markerPrefix + " done")
		Expect(ended).To(Equal([]string{"root", "nobody"}))
		root, nobody := r.findPass("root"), r.findPass("nobody")
		Expect(*root).To(Equal(passResult{Name: "root", Began: true, Ended: true, Identity: "0:0", Start: 4.58, End: 9.60}))
		Expect(nobody.Elapsed().Round(10 * time.Millisecond)).To(Equal(3550 * time.Millisecond))
		Expect(r.BootFailures()).To(Equal([]string{"cannot run the nobody pass on bookworm, reason: it exited with status 1"}))
	})

	It("fails an unprivileged pass that ran as anyone but nobody", func() {
		r := &bootResult{Kernel: "bookworm", Done: true}
		r.Line(markerPrefix + " identity nobody 0:0")
		Expect(r.BootFailures()).To(Equal([]string{"cannot accept unprivileged run on bookworm, reason: the nobody pass ran as uid:gid 0:0, not 65534:65534"}))
	})

	It("notes a suite the sandbox could not sandbox", func() {
		s := feed(pkg, "scratchnet sandbox: running unsandboxed, reason: cannot create the sandbox's namespaces: operation not permitted\n")
		Expect(s.Unsandboxed).To(Equal("cannot create the sandbox's namespaces: operation not permitted"))
	})

	It("fails a suite with a spec that skipped without a reason, and counts it", func() {
		s := feed(pkg, readTestdata("ginkgo-pass.txt"))
		s.Ended = true
		Expect(s.OK()).To(BeTrue())
		r := &bootResult{}
		r.Line(markerPrefix + " skip nobody " + pkg + "\t[It] Widget says why\tneeds a NIC")
		r.Line(markerPrefix + " skip nobody " + pkg + "\t[It] Widget says nothing\t")
		Expect(r.suite("nobody", pkg).Skips).To(Equal([]skippedSpec{{"[It] Widget says why", "needs a NIC"}, {"[It] Widget says nothing", ""}}))
		s.Skips = r.suite("nobody", pkg).Skips
		Expect(s.OK()).To(BeFalse())
		Expect(s.Problem()).To(Equal("1 spec(s) skipped without a stated reason"))
		Expect(s.FailedCount()).To(Equal(1))
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

var _ = Describe("module bookkeeping in the guest's output", func() {
	It("records refused auto-loads once each, and modules init could not remove as boot failures", func() {
		r := &bootResult{Kernel: "sid", Done: true}
		for _, l := range []string{
			"@@scratchnet-vm autoload-refused net-pf-2-proto-262",
			"@@scratchnet-vm autoload-refused net-pf-2-proto-262",
			"@@scratchnet-vm autoload-refused nft-expr-masq",
			"@@scratchnet-vm rmmod-failed nf_tables ./lab",
		} {
			r.Line(l)
		}
		Expect(r.Autoloads).To(Equal([]string{"net-pf-2-proto-262", "nft-expr-masq"}))
		Expect(r.BootFailures()).To(ConsistOf(
			"cannot remove module nf_tables after package ./lab, reason: still in use after 5 s, so later suites would run with it"))
	})
})

var _ = Describe("telling a boot that died before init", func() {
	It("holds until init reports the kernel, and not after", func() {
		br := &bootResult{}
		br.Line("[    1.192534] Kernel panic - not syncing: Fatal exception in interrupt")
		Expect(br.beforeInit()).To(BeTrue())
		br.Line("@@scratchnet-vm kernel 7.2.13+deb14-amd64")
		Expect(br.beforeInit()).To(BeFalse())
	})
})
