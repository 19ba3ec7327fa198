package main

import (
	"os"
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
		Modules:        wantedModules,
		Tests:          tests,
		GinkgoArgs:     []string{"-ginkgo.v", "-ginkgo.label-filter", "dummy && !slow"},
		PackageModules: map[string][]guestModule{"./link": {{Name: "nfnetlink"}, {Name: "nf_tables"}}},
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

	It("loads the link-kind modules and qdiscs, without devices of their own, and never the xfrm or netfilter netlink families for all packages", func() {
		Expect(script).To(ContainSubstring("modprobe dummy numdummies=0 || echo @@scratchnet-vm modprobe-failed dummy"))
		Expect(script).To(ContainSubstring("modprobe bonding max_bonds=0 ||"))
		Expect(script).To(ContainSubstring("modprobe ifb numifbs=0 ||"))
		for _, m := range []string{"veth", "macvlan", "macvtap", "8021q", "ipvlan", "vrf", "vxlan", "bridge", "tun", "sch_netem", "sch_tbf", "sch_htb", "virtio_pci", "virtio_net"} {
			Expect(script).To(ContainSubstring("modprobe "+m+" ||"), m)
		}
		Expect(script).To(ContainSubstring("[ -c /dev/net/tun ] && chmod 0666 /dev/net/tun"), "as udev would, for the nobody pass")
		Expect(strings.Index(script, "modprobe tun")).To(BeNumerically("<", strings.Index(script, "chmod 0666 /dev/net/tun")))
		Expect(script).NotTo(ContainSubstring("xfrm"))
		general := initScript(initOptions{Modules: wantedModules, Tests: tests})
		Expect(general).NotTo(ContainSubstring("nfnetlink"))
	})

	It("loads a package's own modules just before its binary in each pass and removes what loading added right after", func() {
		for _, pass := range []string{
			"HOME=/root SCRATCHNET_SANDBOX=off /scratchnet/run-pass root 1 || rc=$?\n",
			"HOME=/tmp/nobody su -p -s /bin/sh nobody -c '/scratchnet/run-pass nobody 1' || rc=$?\n",
		} {
			around := "before=\"$(cut -d' ' -f1 /proc/modules)\"\n" +
				"modprobe nfnetlink || echo @@scratchnet-vm modprobe-failed nfnetlink ./link\n" +
				"modprobe nf_tables || echo @@scratchnet-vm modprobe-failed nf_tables ./link\n" +
				pass +
				"unload_new \"$before\" ./link\n"
			Expect(script).To(ContainSubstring(around))
		}
		Expect(strings.Count(script, "modprobe nfnetlink")).To(Equal(2), "once per pass, for the one package")
		Expect(script).To(ContainSubstring("/scratchnet/run-pass root 2 || rc=$?\necho @@scratchnet-vm pass-end root"), "nsops runs without them")
	})

	It("keeps the kernel from loading modules by itself once init has loaded its own, and reports each refusal", func() {
		Expect(script).To(ContainSubstring("echo /sbin/refuse-autoload > /proc/sys/kernel/modprobe"))
		Expect(strings.Index(script, "modprobe virtio_net")).To(BeNumerically("<", strings.Index(script, "/proc/sys/kernel/modprobe")))
		Expect(strings.Index(script, "/proc/sys/kernel/modprobe")).To(BeNumerically("<", strings.Index(script, "pass-begin")))
	})

	It("requires every kind, or all but the ones excluded for this kernel", func() {
		Expect(script).To(ContainSubstring("export SCRATCHNET_REQUIRE_KINDS=all\n"))
		Expect(initScript(initOptions{Tests: tests, RequireKinds: "all,-netdevsim"})).To(ContainSubstring("export SCRATCHNET_REQUIRE_KINDS=all,-netdevsim\n"))
	})

	It("runs the generated helpers the way the guest's shell would", func() {
		sh, err := exec.LookPath("sh")
		if err != nil {
			Skip("no sh on this machine")
		}
		dir := GinkgoT().TempDir()
		// The refusal script, as init writes it, with the console redirected.
		line := script[strings.Index(script, "printf '#!/bin/sh"):]
		line = line[:strings.Index(line, "\n")]
		line = strings.Replace(strings.Replace(line, "> /sbin/refuse-autoload", "> "+filepath.Join(dir, "refuse"), 1), "/dev/console", filepath.Join(dir, "console"), 1)
		Expect(exec.Command(sh, "-c", line).Run()).To(Succeed())
		err = exec.Command(sh, filepath.Join(dir, "refuse"), "-q", "--", "nf-nat").Run()
		Expect(err).To(HaveOccurred(), "the kernel must see the load fail")
		Expect(os.ReadFile(filepath.Join(dir, "console"))).To(Equal([]byte("@@scratchnet-vm autoload-refused nf-nat\n")))

		// unload_new with stand-ins for /proc/modules and rmmod: newest
		// first, only what was not there before.
		fn := script[strings.Index(script, "unload_new() {"):]
		fn = fn[:strings.Index(fn, "\n}\n")+3]
		fn = strings.ReplaceAll(fn, "/proc/modules", filepath.Join(dir, "modules"))
		writeFile(filepath.Join(dir, "modules"), "nft_masq 1 0\nnf_nat 2 1\nveth 3 0\n")
		prog := "rmmod() { echo \"$1\" >> " + filepath.Join(dir, "removed") + "; }\n" + fn + "unload_new \"veth\" ./lab\n"
		out, err := exec.Command(sh, "-c", prog).CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		Expect(os.ReadFile(filepath.Join(dir, "removed"))).To(Equal([]byte("nft_masq\nnf_nat\n")))
	})

	It("runs a root pass with the sandbox off, then a nobody pass sandboxed, both requiring every kind, and powers off", func() {
		Expect(script).To(ContainSubstring("export SCRATCHNET_REQUIRE_KINDS=all\nexport TMPDIR=/tmp\nunset SCRATCHNET_SANDBOX\n"))
		root := "echo @@scratchnet-vm pass-begin root \"$(cut -d' ' -f1 /proc/uptime)\"\nrc=0\n" +
			"HOME=/root SCRATCHNET_SANDBOX=off /scratchnet/run-pass root identity || rc=$?\n"
		rootEnd := "HOME=/root SCRATCHNET_SANDBOX=off /scratchnet/run-pass root 2 || rc=$?\n" +
			"echo @@scratchnet-vm pass-end root \"$(cut -d' ' -f1 /proc/uptime)\" exit=$rc\n"
		nobody := "mkdir -p /tmp/nobody && chown 65534:65534 /tmp/nobody\n" +
			"echo @@scratchnet-vm pass-begin nobody \"$(cut -d' ' -f1 /proc/uptime)\"\nrc=0\n" +
			"HOME=/tmp/nobody su -p -s /bin/sh nobody -c '/scratchnet/run-pass nobody identity' || rc=$?\n"
		nobodyEnd := "HOME=/tmp/nobody su -p -s /bin/sh nobody -c '/scratchnet/run-pass nobody 2' || rc=$?\n" +
			"echo @@scratchnet-vm pass-end nobody \"$(cut -d' ' -f1 /proc/uptime)\" exit=$rc\n"
		for _, part := range []string{root, rootEnd, nobody, nobodyEnd} {
			Expect(script).To(ContainSubstring(part))
		}
		Expect(strings.Index(script, rootEnd)).To(BeNumerically("<", strings.Index(script, nobody)))
		Expect(strings.Count(script, "SCRATCHNET_SANDBOX=off")).To(Equal(3), "only the root pass turns the sandbox off: its identity step and two binaries")
		Expect(strings.TrimSpace(script)).To(HaveSuffix("echo @@scratchnet-vm done\nsync\npoweroff -f"))
	})

	It("runs only the passes asked for", func() {
		only := initScript(initOptions{Tests: tests, Passes: []guestPass{passNobody}})
		Expect(only).To(ContainSubstring("/scratchnet/run-pass nobody 1"))
		Expect(only).NotTo(ContainSubstring("/scratchnet/run-pass root"))
	})

	It("runs each binary in its package directory between markers naming the pass, then reports its skips", func() {
		Expect(runPass).To(HavePrefix("#!/bin/sh\n"))
		Expect(runPass).To(ContainSubstring("pass=$1\nmkdir -p \"$TMPDIR/junit-$pass\"\ncase \"$2\" in\n" +
			"identity) echo @@scratchnet-vm identity \"$pass\" \"$(id -u):$(id -g)\" ;;\n"))
		Expect(runPass).To(ContainSubstring("2)\n  echo @@scratchnet-vm begin \"$pass\" github.com/scratchnet/scratchnet/internal/nsops\n" +
			"  cd /scratchnet/internal/nsops && ./nsops.test -ginkgo.no-color -ginkgo.v -ginkgo.label-filter 'dummy && !slow' -ginkgo.junit-report=\"$TMPDIR/junit-$pass/2.xml\"\n" +
			"  rc=$?; echo; echo @@scratchnet-vm end \"$pass\" github.com/scratchnet/scratchnet/internal/nsops exit=$rc\n" +
			"  [ -f \"$TMPDIR/junit-$pass/2.xml\" ] && awk -v pass=\"$pass\" -v pkg=github.com/scratchnet/scratchnet/internal/nsops -f /scratchnet/skips.awk \"$TMPDIR/junit-$pass/2.xml\"\n" +
			"  cd / ;;\n"))
		Expect(strings.TrimSpace(runPass)).To(HaveSuffix("\nesac"))
		Expect(strings.Index(runPass, "begin \"$pass\" github.com/scratchnet/scratchnet/link")).To(BeNumerically("<", strings.Index(runPass, "begin \"$pass\" github.com/scratchnet/scratchnet/internal/nsops")))
	})

	It("keys packages by their path from the module root, and lists the modules to stage once each", func() {
		Expect(packageKey(testBinary{RelDir: "lab"})).To(Equal("./lab"))
		Expect(packageKey(testBinary{RelDir: "netdevsim/ensure"})).To(Equal("./netdevsim/ensure"))
		Expect(packageKey(testBinary{RelDir: "."})).To(Equal("."))
		staged := stagedModuleNames()
		Expect(staged).To(ContainElements("nfnetlink", "nf_tables", "nft_masq"))
		seen := map[string]bool{}
		for _, m := range staged {
			Expect(seen[m]).To(BeFalse(), m)
			seen[m] = true
		}
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
