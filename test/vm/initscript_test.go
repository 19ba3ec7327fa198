package main

import (
	"os/exec"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("the guest's /init", func() {
	tests := []testBinary{
		{Pkg: "github.com/scratchnet/scratchnet/link", RelDir: "link", Name: "link.test"},
		{Pkg: "github.com/scratchnet/scratchnet/internal/nsops", RelDir: "internal/nsops", Name: "nsops.test"},
	}
	script := initScript(initOptions{
		Modules:    wantedModules,
		Tests:      tests,
		GinkgoArgs: []string{"-ginkgo.v", "-ginkgo.label-filter", "dummy && !slow"},
	})

	It("is valid shell", func() {
		sh, err := exec.LookPath("sh")
		if err != nil {
			Skip("no sh on this machine")
		}
		cmd := exec.Command(sh, "-n")
		cmd.Stdin = strings.NewReader(script)
		out, err := cmd.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
	})

	It("keeps router advertisements from changing eth0 while the suites run", func() {
		Expect(script).To(ContainSubstring("for knob in accept_ra=0 autoconf=0 accept_dad=0 dad_transmits=0; do echo ${knob#*=} > /proc/sys/net/ipv6/conf/eth0/${knob%%=*}; done"))
		Expect(strings.Index(script, "accept_ra=0")).To(BeNumerically("<", strings.Index(script, "ip link set eth0 up")))
	})

	It("mounts the pseudo file systems and brings lo and eth0 up", func() {
		for _, want := range []string{
			"mount -t proc proc /proc", "mount -t sysfs sysfs /sys", "mount -t devtmpfs devtmpfs /dev",
			"mount -t tmpfs tmpfs /tmp", "mount -t tmpfs tmpfs /run", "ip link set lo up", "ip link set eth0 up",
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
		Expect(script).NotTo(ContainSubstring("xfrm"))
		Expect(script).NotTo(ContainSubstring("nfnetlink"))
	})

	It("makes missing link kinds fail, runs each binary in its package directory between markers, and powers off", func() {
		Expect(script).To(ContainSubstring("export SCRATCHNET_REQUIRE_KINDS=all"))
		Expect(script).To(ContainSubstring("echo @@scratchnet-vm begin github.com/scratchnet/scratchnet/internal/nsops\n" +
			"cd /scratchnet/internal/nsops && ./nsops.test -ginkgo.no-color -ginkgo.v -ginkgo.label-filter 'dummy && !slow'\n" +
			"rc=$?; echo; echo @@scratchnet-vm end github.com/scratchnet/scratchnet/internal/nsops exit=$rc\n"))
		Expect(strings.Index(script, "begin github.com/scratchnet/scratchnet/link")).To(BeNumerically("<", strings.Index(script, "begin github.com/scratchnet/scratchnet/internal/nsops")))
		Expect(strings.TrimSpace(script)).To(HaveSuffix("poweroff -f"))
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
