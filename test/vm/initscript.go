package main

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// markerPrefix starts every line the guest's init prints for the runner. It
// is unlikely enough to appear in test output to be matched anywhere in a
// line, which matters because a crashing binary may leave half a line
// behind before the next marker.
const markerPrefix = "@@scratchnet-vm"

// guestModule is one kernel module that init loads, with its parameters.
type guestModule struct {
	Name   string
	Params []string
}

// wantedModules are the modules init loads for all packages. dummy,
// bonding and ifb would each create devices in the guest's initial
// namespace unless told not to, and the suites check that namespace stays as
// they found it. virtio_pci and virtio_net give the guest its eth0 for the
// specs that need a "hardware" parent. The qdiscs are for impairment
// (netem) and shaping (tbf, htb); a kernel that has them built in needs
// nothing loaded. xfrm_user and nfnetlink are deliberately absent: the
// suites must prove they work without those netlink families.
var wantedModules = []guestModule{
	{Name: "dummy", Params: []string{"numdummies=0"}},
	{Name: "veth"},
	{Name: "macvlan"},
	{Name: "macvtap"},
	{Name: "8021q"},
	{Name: "ipvlan"},
	{Name: "bonding", Params: []string{"max_bonds=0"}},
	{Name: "vrf"},
	{Name: "vxlan"},
	{Name: "bridge"},
	{Name: "tun"},
	{Name: "ifb", Params: []string{"numifbs=0"}},
	{Name: "sch_netem"},
	{Name: "sch_tbf"},
	{Name: "sch_htb"},
	// sock_diag for TCP and UDP: readiness waits and the listening
	// sockets of failure reports.
	{Name: "inet_diag"},
	{Name: "tcp_diag"},
	{Name: "udp_diag"},
	{Name: "virtio_pci"},
	{Name: "virtio_net"},
}

// nftablesModules are what nftables NAT, masquerading, conntrack matches
// and rejects need. crc32c_generic comes first: libcrc32c, which conntrack
// and NAT depend on, asks for the crc32c algorithm when it loads, a soft
// dependency that modules.dep does not list and busybox's modprobe does not
// follow (kernels that build crc32c in have no such file, and it is left
// out there).
var nftablesModules = []guestModule{
	{Name: "crc32c_generic"},
	{Name: "nfnetlink"},
	{Name: "nf_conntrack"},
	{Name: "nf_nat"},
	{Name: "nf_tables"},
	{Name: "nft_chain_nat"},
	{Name: "nft_nat"},
	{Name: "nft_masq"},
	{Name: "nft_ct"},
	// A module of its own in Debian 5.10 (the diag report spec counts).
	{Name: "nft_counter"},
	{Name: "nf_reject_ipv4"},
	{Name: "nf_reject_ipv6"},
	{Name: "nft_reject"},
	{Name: "nft_reject_inet"},
}

// packageModules are the modules that only some packages' suites need,
// keyed by package path relative to the module root ("./lab"). In each
// pass, init loads a package's modules just before its test binary runs and
// removes every module that loading added (in reverse order: the newest
// first) right after, so that no other suite can use them: the others must
// go on proving that the library needs neither nfnetlink nor xfrm_user.
// A key naming no package with tests is simply never used. These modules
// are in the guest's initramfs, but the guest kernel auto-loads nothing (see
// initScript), so they are only ever there while their package runs.
var packageModules = map[string][]guestModule{
	"./firewall": nftablesModules,
	"./lab":      nftablesModules,
	// Partitions and connection faults are nftables rules; a port's
	// impairment finds the port's packets with u32 filters.
	"./fault": slices.Concat(nftablesModules, []guestModule{{Name: "cls_u32"}}),
	// The nftables summary of failure reports.
	"./internal/diag": nftablesModules,
	// Snapshots read nftables through the same code as failure reports.
	"./snapshot": nftablesModules,
}

// packageKey is a test binary's key in packageModules.
func packageKey(t testBinary) string {
	if t.RelDir == "." {
		return "."
	}
	return "./" + t.RelDir
}

// stagedModuleNames lists, once each, the modules of packageModules: they
// go into the initramfs without being loaded by init.
func stagedModuleNames() []string {
	var out []string
	keys := make([]string, 0, len(packageModules))
	for k := range packageModules {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, m := range packageModules[k] {
			if !slices.Contains(out, m.Name) {
				out = append(out, m.Name)
			}
		}
	}
	return out
}

// guestPass is one run of every test binary in the guest, under one identity.
type guestPass struct {
	Name string   // "root" or "nobody": in markers and in the report
	User string   // the user busybox su switches to; "" runs as root
	Home string   // HOME for the pass; it must be writable by User
	Env  []string // further environment, NAME=value
}

// The two passes. Root runs with the sandbox off so that the suites see the
// guest's real eth0 (the specs needing a "hardware" macvlan parent look for
// it) and act in the namespace init prepared. Nobody runs sandboxed, in a
// user namespace of its own, which is the point of the second pass: it
// proves the suites work without privileges on a distribution kernel. The
// kernel loads no modules for a user namespace, but init has loaded them
// all already, so every kind must still work there.
var (
	passRoot   = guestPass{Name: "root", Home: "/root", Env: []string{"SCRATCHNET_SANDBOX=off"}}
	passNobody = guestPass{Name: "nobody", User: "nobody", Home: "/tmp/nobody"}
	allPasses  = []guestPass{passRoot, passNobody}
)

// The unprivileged identity of the nobody pass, as Debian spells it.
const (
	nobodyUID = 65534
	nobodyGID = 65534
)

// nobodyIdentity is what `id -u`:`id -g` print in the nobody pass.
var nobodyIdentity = fmt.Sprintf("%d:%d", nobodyUID, nobodyGID)

// guestPasswd and guestGroup give busybox su the users it switches to and
// their groups; without them it cannot resolve "nobody".
const (
	guestPasswd = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/tmp/nobody:/bin/sh\n"
	guestGroup  = "root:x:0:\nnogroup:x:65534:\n"
)

// Guest paths of the generated scripts.
const (
	runPassPath  = guestTestRoot + "/run-pass"
	skipsAWKPath = guestTestRoot + "/skips.awk"
)

// initOptions says what the generated /init does.
type initOptions struct {
	Modules    []guestModule // modules present as files; built-in ones are left out
	Tests      []testBinary
	GinkgoArgs []string
	Passes     []guestPass // in order; empty means allPasses
	// PackageModules are the modules of packageModules this kernel has as
	// files, by package key.
	PackageModules map[string][]guestModule
	// RequireKinds is SCRATCHNET_REQUIRE_KINDS for the suites; empty
	// means "all".
	RequireKinds string
}

// refuseAutoloadPath is the guest's stand-in for modprobe when the kernel
// wants to load a module by itself.
const refuseAutoloadPath = "/sbin/refuse-autoload"

func (o initOptions) passes() []guestPass {
	if len(o.Passes) == 0 {
		return allPasses
	}
	return o.Passes
}

// shellQuote quotes s for a POSIX shell so that pass-through flags such as
// a label filter with "&&" or "!" reach the test binary unchanged.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.=/,:+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// initScript renders the guest's /init for busybox sh: it prepares the
// guest as root, then runs the run-pass script once per pass.
func initScript(o initOptions) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }

	w("#!/bin/sh")
	w("# Generated by scratchnet's test/vm runner; runs once and powers off.")
	w("export PATH=" + guestToolDir + ":/bin:/sbin:/usr/bin:/usr/sbin")
	w("mount -t proc proc /proc")
	w("mount -t sysfs sysfs /sys")
	w("mount -t devtmpfs devtmpfs /dev")
	w("mkdir -p /dev/pts /dev/shm")
	// Sticky and world-writable: the nobody pass keeps its HOME, TMPDIR and
	// Ginkgo reports here.
	w("mount -t tmpfs -o mode=1777 tmpfs /tmp")
	w("mount -t tmpfs tmpfs /run")
	w("mkdir -p /run/netns")
	// Keep kernel warnings off the console: they would interleave with the
	// test output the runner parses. Oopses and panics still get through.
	w("echo 3 > /proc/sys/kernel/printk")
	w("echo %s kernel \"$(uname -r)\"", markerPrefix)
	w("ip link set lo up")
	for _, m := range o.Modules {
		args := append([]string{"modprobe", m.Name}, m.Params...)
		w("%s || echo %s modprobe-failed %s", strings.Join(args, " "), markerPrefix, m.Name)
	}
	// From here on the kernel loads no module by itself (a netlink family,
	// a link kind, an nftables expression): the modules of packageModules
	// sit in the initramfs, and a request_module for one of them would
	// otherwise load it for a suite that must do without. Each refused
	// request is reported, naming the module.
	w("printf '#!/bin/sh\\nfor m; do :; done\\necho \"%s autoload-refused $m\" > /dev/console\\nexit 1\\n' > %s", markerPrefix, refuseAutoloadPath)
	w("chmod 0755 %s && echo %s > /proc/sys/kernel/modprobe", refuseAutoloadPath, refuseAutoloadPath)
	// unload_new removes, newest first, every module not in the list $1 of
	// modules that were loaded before; $2 names the package for the report.
	// A module still held by a namespace the kernel is tearing down becomes
	// free within moments, so each rmmod is retried for up to five seconds.
	w("unload_new() {")
	w("  for m in $(cut -d' ' -f1 /proc/modules); do")
	w("    echo \"$1\" | grep -qx \"$m\" && continue")
	w("    n=0; until rmmod \"$m\" 2>/dev/null; do n=$((n+1)); if [ $n -ge 50 ]; then echo %s rmmod-failed \"$m\" \"$2\"; break; fi; usleep 100000; done", markerPrefix)
	w("  done")
	w("}")
	// devtmpfs creates /dev/net/tun 0600; on a distribution udev makes it
	// 0666 (systemd's 50-udev-default.rules, as the kernel's tuntap
	// documentation advises: creating a device still needs CAP_NET_ADMIN).
	// The guest has no udev, and without this the nobody pass, root only
	// in its own user namespace, could not open it.
	w("[ -c /dev/net/tun ] && chmod 0666 /dev/net/tun")
	// The specs that need a "hardware" parent look for an interface that is
	// up; the virtio NIC reports UP a second or two after being set up.
	// qemu's user network sends IPv6 router advertisements, which would add
	// addresses and routes to eth0 while the suites run and trip their check
	// that the initial namespace is left unchanged: eth0 keeps only its
	// link-local address, assigned at once without duplicate detection.
	w("if [ -e /sys/class/net/eth0 ]; then")
	w("  for knob in accept_ra=0 autoconf=0 accept_dad=0 dad_transmits=0; do echo ${knob#*=} > /proc/sys/net/ipv6/conf/eth0/${knob%%%%=*}; done")
	w("  ip link set eth0 up")
	w("  i=0")
	w("  while { [ \"$(cat /sys/class/net/eth0/operstate)\" != up ] || ! grep -q 'eth0$' /proc/net/if_inet6; } && [ $i -lt 100 ]; do usleep 100000; i=$((i+1)); done")
	w("  echo %s eth0 \"$(cat /sys/class/net/eth0/operstate)\"", markerPrefix)
	w("else")
	w("  echo %s eth0 missing", markerPrefix)
	w("fi")
	// Makes link.SkipUnlessSupported fail instead of skip, so a kind that
	// does not work here shows up as a failure rather than a quiet skip. It
	// holds for the nobody pass too: the modules are loaded by then.
	// "all" covers qdiscs and netdevsim too; a kind the runner knows this
	// kernel cannot have is excluded with "-kind".
	w("export SCRATCHNET_REQUIRE_KINDS=%s", shellQuote(o.requireKinds()))
	w("export TMPDIR=/tmp")
	// Nothing in the guest may turn the sandbox on or off behind a pass's
	// back: only the root pass sets it, on its own command line.
	w("unset SCRATCHNET_SANDBOX")
	for _, p := range o.passes() {
		env := append([]string{"HOME=" + p.Home}, p.Env...)
		if p.User != "" {
			w("mkdir -p %s && chown %d:%d %s", p.Home, nobodyUID, nobodyGID, p.Home)
		}
		w("echo %s pass-begin %s \"$(cut -d' ' -f1 /proc/uptime)\"", markerPrefix, p.Name)
		w("rc=0")
		// The identity first, then one binary per call, so that init, as
		// root, can load a package's modules around its binary whoever the
		// pass runs as.
		w("%s %s || rc=$?", strings.Join(env, " "), passCommand(p, "identity"))
		for i, t := range o.Tests {
			mods := o.PackageModules[packageKey(t)]
			if len(mods) > 0 {
				w("before=\"$(cut -d' ' -f1 /proc/modules)\"")
				for _, m := range mods {
					args := append([]string{"modprobe", m.Name}, m.Params...)
					w("%s || echo %s modprobe-failed %s %s", strings.Join(args, " "), markerPrefix, m.Name, shellQuote(packageKey(t)))
				}
			}
			w("%s %s || rc=$?", strings.Join(env, " "), passCommand(p, fmt.Sprint(i+1)))
			if len(mods) > 0 {
				w("unload_new \"$before\" %s", shellQuote(packageKey(t)))
			}
		}
		w("echo %s pass-end %s \"$(cut -d' ' -f1 /proc/uptime)\" exit=$rc", markerPrefix, p.Name)
	}
	w("echo %s done", markerPrefix)
	w("sync")
	w("poweroff -f")
	return b.String()
}

// passCommand runs the run-pass script with pass p's name and what, as the
// pass's user.
func passCommand(p guestPass, what string) string {
	cmd := runPassPath + " " + p.Name + " " + what
	if p.User == "" {
		return cmd
	}
	// -p keeps the environment set by init (HOME, TMPDIR, the kinds to
	// require); -s because the user's login shell is not for running
	// commands.
	return "su -p -s /bin/sh " + p.User + " -c " + shellQuote(cmd)
}

func (o initOptions) requireKinds() string {
	if o.RequireKinds == "" {
		return "all"
	}
	return o.RequireKinds
}

// junitDir is where a pass's Ginkgo JUnit reports go in the guest, under
// the pass's TMPDIR so that nobody can write them.
const junitDir = "$TMPDIR/junit-$pass"

// runPassScript renders the guest's run-pass script. Called by init with
// the pass name and "identity", by whoever the pass runs as, it reports who
// that is; called with the pass name and a binary's number, it runs that
// test binary from its package directory between marker lines, then reports
// the specs the binary skipped after they had started, with their reasons.
func runPassScript(o initOptions) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }

	w("#!/bin/sh")
	w("# Generated by scratchnet's test/vm runner: one step of a pass over the test binaries.")
	w("pass=$1")
	w("mkdir -p \"%s\"", junitDir)
	w("case \"$2\" in")
	// Who the pass really runs as, for the runner to check: a nobody pass
	// that ran as root would prove nothing about running unprivileged.
	w("identity) echo %s identity \"$pass\" \"$(id -u):$(id -g)\" ;;", markerPrefix)
	flags := []string{"-ginkgo.no-color"}
	for _, a := range o.GinkgoArgs {
		flags = append(flags, shellQuote(a))
	}
	for i, t := range o.Tests {
		// Last, so that it wins over a report flag passed through: the
		// runner needs this one, and a guest file would be lost anyway.
		report := fmt.Sprintf("%s/%d.xml", junitDir, i+1)
		w("%d)", i+1)
		w("  echo %s begin \"$pass\" %s", markerPrefix, t.Pkg)
		w("  cd %s && ./%s %s -ginkgo.junit-report=\"%s\"", shellQuote(t.guestDir()), shellQuote(t.Name), strings.Join(flags, " "), report)
		// The leading echo ends a line the binary may have left unfinished.
		w("  rc=$?; echo; echo %s end \"$pass\" %s exit=$rc", markerPrefix, t.Pkg)
		w("  [ -f \"%s\" ] && awk -v pass=\"$pass\" -v pkg=%s -f %s \"%s\"", report, shellQuote(t.Pkg), skipsAWKPath, report)
		w("  cd / ;;")
	}
	w("esac")
	return b.String()
}

// skipsAWK reads a Ginkgo JUnit report and prints a marker line
// "skip <pass> <pkg>" TAB spec TAB reason for every spec that was skipped
// after it had started, that is by a Skip call. Specs left out by a label
// filter or focus are "skipped" too but never start: they have no
// <system-err> timeline and no reason, and are not printed. A started spec
// whose Skip gave no reason is printed with an empty one, which the runner
// counts as a failure. Ginkgo writes each element on a line of its own and
// escapes newlines in attributes, so a line-oriented reader suffices.
const skipsAWK = `# Generated by scratchnet's test/vm runner: reports the specs a JUnit report says were skipped by a Skip call.
function attr(s, name,    i, rest) {
	i = index(s, " " name "=\"")
	if (i == 0) return ""
	rest = substr(s, i + length(name) + 3)
	return substr(rest, 1, index(rest, "\"") - 1)
}
function unxml(s) {
	gsub(/&#x[9A];|&#(9|10|13);|&#xD;|\t/, " ", s)
	gsub(/&#34;|&quot;/, "\"", s)
	gsub(/&#39;|&apos;/, "'", s)
	gsub(/&lt;/, "<", s)
	gsub(/&gt;/, ">", s)
	gsub(/&amp;/, "\\&", s)
	return s
}
/<testcase / { name = attr($0, "name"); status = attr($0, "status"); msg = ""; started = 0 }
/<skipped / { msg = attr($0, "message") }
/<system-err>/ { started = 1 }
/<\/testcase>/ {
	if (status == "skipped" && (msg != "skipped" || started)) {
		reason = msg
		sub(/^skipped( - )?/, "", reason)
		printf "` + markerPrefix + ` skip %s %s\t%s\t%s\n", pass, pkg, unxml(name), unxml(reason)
	}
	status = ""
}
`
