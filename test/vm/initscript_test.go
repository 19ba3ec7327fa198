package main

import (
	"os/exec"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("the guest's /init", func() {
	tests := []testBinary{
		{Pkg: "github.com/scratchnet/scratchnet/link", RelDir: "link", Name: "link.test"},
		{Pkg: "github.com/scratchnet/scratchnet/internal/nsops", RelDir: "internal/nsops", Name: "nsops.test"},
	}
	opts := initOptions{
		Modules:    wantedModules,
		Tests:      tests,
		GinkgoArgs: []string{"-ginkgo.v", "-ginkgo.label-filter", "dummy && !slow"},
	}
	script := initScript(opts)
	runPass := runPassScript(opts)

	DescribeTable("is valid shell",
		func(text string) {
			sh, err := exec.LookPath("sh")
			if err != nil {
				Skip("no sh on this machine")
			}
			cmd := exec.Command(sh, "-n")
			cmd.Stdin = strings.NewReader(text)
			out, err := cmd.CombinedOutput()
			Expect(err).NotTo(HaveOccurred(), string(out))
		},
		Entry("/init", script),
		Entry("run-pass", runPass),
	)

	It("keeps router advertisements from changing eth0 while the suites run", func() {
		Expect(script).To(ContainSubstring("for knob in accept_ra=0 autoconf=0 accept_dad=0 dad_transmits=0; do echo ${knob#*=} > /proc/sys/net/ipv6/conf/eth0/${knob%%=*}; done"))
		Expect(strings.Index(script, "accept_ra=0")).To(BeNumerically("<", strings.Index(script, "ip link set eth0 up")))
	})

	It("mounts the pseudo file systems, a /tmp anyone may write, and brings lo and eth0 up", func() {
		for _, want := range []string{
			"mount -t proc proc /proc", "mount -t sysfs sysfs /sys", "mount -t devtmpfs devtmpfs /dev",
			"mount -t tmpfs -o mode=1777 tmpfs /tmp", "mount -t tmpfs tmpfs /run", "ip link set lo up", "ip link set eth0 up",
		} {
			Expect(script).To(ContainSubstring(want))
		}
	})

	It("loads the link-kind modules, without devices of their own, and never the xfrm or netfilter netlink families", func() {
		Expect(script).To(ContainSubstring("modprobe dummy numdummies=0 || echo @@scratchnet-vm modprobe-failed dummy"))
		Expect(script).To(ContainSubstring("modprobe bonding max_bonds=0 ||"))
		Expect(script).To(ContainSubstring("modprobe ifb numifbs=0 ||"))
		for _, m := range []string{"veth", "macvlan", "macvtap", "8021q", "ipvlan", "vrf", "vxlan", "bridge", "tun", "virtio_pci", "virtio_net"} {
			Expect(script).To(ContainSubstring("modprobe "+m+" ||"), m)
		}
		Expect(script).To(ContainSubstring("[ -c /dev/net/tun ] && chmod 0666 /dev/net/tun"), "as udev would, for the nobody pass")
		Expect(strings.Index(script, "modprobe tun")).To(BeNumerically("<", strings.Index(script, "chmod 0666 /dev/net/tun")))
		Expect(script).NotTo(ContainSubstring("xfrm"))
		Expect(script).NotTo(ContainSubstring("nfnetlink"))
	})

	It("runs a root pass with the sandbox off, then a nobody pass sandboxed, both requiring every kind, and powers off", func() {
		Expect(script).To(ContainSubstring("export SCRATCHNET_REQUIRE_KINDS=all\nexport TMPDIR=/tmp\nunset SCRATCHNET_SANDBOX\n"))
		root := "echo @@scratchnet-vm pass-begin root \"$(cut -d' ' -f1 /proc/uptime)\"\n" +
			"HOME=/root SCRATCHNET_SANDBOX=off /scratchnet/run-pass root\n" +
			"rc=$?; echo @@scratchnet-vm pass-end root \"$(cut -d' ' -f1 /proc/uptime)\" exit=$rc\n"
		nobody := "mkdir -p /tmp/nobody && chown 65534:65534 /tmp/nobody\n" +
			"echo @@scratchnet-vm pass-begin nobody \"$(cut -d' ' -f1 /proc/uptime)\"\n" +
			"HOME=/tmp/nobody su -p -s /bin/sh nobody -c '/scratchnet/run-pass nobody'\n" +
			"rc=$?; echo @@scratchnet-vm pass-end nobody \"$(cut -d' ' -f1 /proc/uptime)\" exit=$rc\n"
		Expect(script).To(ContainSubstring(root))
		Expect(script).To(ContainSubstring(nobody))
		Expect(strings.Index(script, root)).To(BeNumerically("<", strings.Index(script, nobody)))
		Expect(strings.Count(script, "SCRATCHNET_SANDBOX=off")).To(Equal(1), "only the root pass turns the sandbox off")
		Expect(strings.TrimSpace(script)).To(HaveSuffix("echo @@scratchnet-vm done\nsync\npoweroff -f"))
	})

	It("runs only the passes asked for", func() {
		only := initScript(initOptions{Tests: tests, Passes: []guestPass{passNobody}})
		Expect(only).To(ContainSubstring("/scratchnet/run-pass nobody"))
		Expect(only).NotTo(ContainSubstring("/scratchnet/run-pass root"))
	})

	It("runs each binary in its package directory between markers naming the pass, then reports its skips", func() {
		Expect(runPass).To(HavePrefix("#!/bin/sh\n"))
		Expect(runPass).To(ContainSubstring("pass=$1\necho @@scratchnet-vm identity \"$pass\" \"$(id -u):$(id -g)\"\nmkdir -p \"$TMPDIR/junit-$pass\"\n"))
		Expect(runPass).To(ContainSubstring("echo @@scratchnet-vm begin \"$pass\" github.com/scratchnet/scratchnet/internal/nsops\n" +
			"cd /scratchnet/internal/nsops && ./nsops.test -ginkgo.no-color -ginkgo.v -ginkgo.label-filter 'dummy && !slow' -ginkgo.junit-report=\"$TMPDIR/junit-$pass/2.xml\"\n" +
			"rc=$?; echo; echo @@scratchnet-vm end \"$pass\" github.com/scratchnet/scratchnet/internal/nsops exit=$rc\n" +
			"[ -f \"$TMPDIR/junit-$pass/2.xml\" ] && awk -v pass=\"$pass\" -v pkg=github.com/scratchnet/scratchnet/internal/nsops -f /scratchnet/skips.awk \"$TMPDIR/junit-$pass/2.xml\"\n" +
			"cd /\n"))
		Expect(strings.Index(runPass, "begin \"$pass\" github.com/scratchnet/scratchnet/link")).To(BeNumerically("<", strings.Index(runPass, "begin \"$pass\" github.com/scratchnet/scratchnet/internal/nsops")))
	})

	It("gives busybox su the nobody user with Debian's ids", func() {
		Expect(guestPasswd).To(ContainSubstring("\nnobody:x:65534:65534:nobody:/tmp/nobody:/bin/sh\n"))
		Expect(guestGroup).To(ContainSubstring("\nnogroup:x:65534:\n"))
		Expect(nobodyIdentity).To(Equal("65534:65534"))
	})

	DescribeTable("quotes pass-through flags for the shell",
		func(in, want string) { Expect(shellQuote(in)).To(Equal(want)) },
		Entry("plain flag", "-ginkgo.v", "-ginkgo.v"),
		Entry("flag with value", "-ginkgo.focus=veth", "-ginkgo.focus=veth"),
		Entry("spaces and operators", "a && !b", "'a && !b'"),
		Entry("single quote", "it's", `'it'\''s'`),
		Entry("empty", "", "''"),
		Entry("dollar", "$HOME", "'$HOME'"),
	)
})

var _ = Describe("the guest's skip reader (skips.awk)", func() {
	It("reports the specs a Skip call skipped, with their reasons unescaped, and leaves filtered and pending specs out", func() {
		awk := ""
		for _, cand := range []string{"busybox", "awk"} {
			if p, err := exec.LookPath(cand); err == nil {
				awk = p
				break
			}
		}
		if awk == "" {
			Skip("neither busybox nor awk on this machine to run the guest's awk script")
		}
		dir := GinkgoT().TempDir()
		prog := filepath.Join(dir, "skips.awk")
		writeFile(prog, skipsAWK)
		args := []string{"-v", "pass=nobody", "-v", "pkg=example.com/gsample", "-f", prog, filepath.Join("testdata", "ginkgo-junit-skips.xml")}
		if filepath.Base(awk) == "busybox" {
			args = append([]string{"awk"}, args...)
		}
		out, err := exec.Command(awk, args...).Output()
		Expect(err).NotTo(HaveOccurred())

		r := &bootResult{}
		for _, l := range strings.Split(string(out), "\n") {
			r.Line(l)
		}
		s := r.suite("nobody", "example.com/gsample")
		Expect(s.Skips).To(Equal([]skippedSpec{
			{Spec: "[It] Widget needs the real host", Reason: "needs root (reads the host's namespace & <links>) see README"},
			{Spec: "[It] Widget skips silently", Reason: ""},
			{Spec: "[It] Widget nested skips in a BeforeEach", Reason: `kernel does not support link type "dummy"`},
		}))
		Expect(s.Unexplained()).To(Equal(1))
	})
})
