package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// A slice of the 6.12 backports kernel's modules.dep (compressed modules).
const modulesDep = `kernel/drivers/net/bonding/bonding.ko.xz: kernel/net/tls/tls.ko.xz
kernel/drivers/net/dummy.ko.xz:
kernel/drivers/net/virtio_net.ko.xz: kernel/drivers/net/net_failover.ko.xz kernel/net/core/failover.ko.xz
kernel/drivers/net/net_failover.ko.xz: kernel/net/core/failover.ko.xz
kernel/net/core/failover.ko.xz:
kernel/net/tls/tls.ko.xz:
kernel/drivers/usb/gadget/udc/dummy_hcd.ko.xz: kernel/drivers/usb/gadget/udc/udc-core.ko.xz
kernel/net/8021q/8021q.ko.xz: kernel/net/802/garp.ko.xz kernel/net/802/stp.ko.xz kernel/net/802/mrp.ko.xz kernel/net/llc/llc.ko.xz
kernel/net/802/garp.ko.xz: kernel/net/802/stp.ko.xz kernel/net/llc/llc.ko.xz
kernel/net/802/stp.ko.xz: kernel/net/llc/llc.ko.xz
kernel/net/802/mrp.ko.xz:
kernel/net/llc/llc.ko.xz:
kernel/net/xfrm/xfrm_user.ko.xz:
`

var _ = Describe("choosing the guest's modules", func() {
	It("takes the wanted modules and their dependencies, nothing else", func() {
		sel := selectModules(modulesDep, "kernel/drivers/virtio/virtio_pci.ko\n", []guestModule{
			{Name: "dummy", Params: []string{"numdummies=0"}}, {Name: "bonding"}, {Name: "8021q"}, {Name: "virtio_pci"}, {Name: "virtio_net"}, {Name: "vrf"},
		}, nil)
		Expect(sel.Files).To(Equal([]string{
			"kernel/drivers/net/bonding/bonding.ko.xz",
			"kernel/drivers/net/dummy.ko.xz",
			"kernel/drivers/net/net_failover.ko.xz",
			"kernel/drivers/net/virtio_net.ko.xz",
			"kernel/net/802/garp.ko.xz",
			"kernel/net/802/mrp.ko.xz",
			"kernel/net/802/stp.ko.xz",
			"kernel/net/8021q/8021q.ko.xz",
			"kernel/net/core/failover.ko.xz",
			"kernel/net/llc/llc.ko.xz",
			"kernel/net/tls/tls.ko.xz",
		}))
		Expect(sel.Load).To(Equal([]guestModule{{Name: "dummy", Params: []string{"numdummies=0"}}, {Name: "bonding"}, {Name: "8021q"}, {Name: "virtio_net"}}))
		Expect(sel.Builtin).To(Equal([]string{"virtio_pci"}))
		Expect(sel.Missing).To(Equal([]string{"vrf"}))
	})

	It("never selects xfrm_user or nfnetlink through the default list", func() {
		for _, m := range wantedModules {
			Expect(m.Name).NotTo(Or(Equal("xfrm_user"), Equal("nfnetlink")))
		}
		sel := selectModules(modulesDep, "", wantedModules, stagedModuleNames())
		Expect(strings.Join(sel.Files, " ")).NotTo(ContainSubstring("xfrm"))
	})

	DescribeTable("knows modules by modprobe's names",
		func(file, want string) { Expect(moduleName(file)).To(Equal(want)) },
		Entry("xz", "kernel/net/8021q/8021q.ko.xz", "8021q"),
		Entry("plain with dash", "kernel/drivers/usb/gadget/udc/udc-core.ko", "udc_core"),
		Entry("zstd", "kernel/drivers/net/vrf.ko.zst", "vrf"),
	)

	It("stages compressed modules decompressed", func() {
		dir := GinkgoT().TempDir()
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		_, _ = zw.Write([]byte("module-bytes"))
		Expect(zw.Close()).To(Succeed())
		writeFile(filepath.Join(dir, "src", "m.ko.gz"), gz.String())
		Expect(copyModule(filepath.Join(dir, "src", "m.ko.gz"), filepath.Join(dir, "dst", "m.ko.gz"))).To(Succeed())
		Expect(os.ReadFile(filepath.Join(dir, "dst", "m.ko"))).To(Equal([]byte("module-bytes")))

		if _, err := exec.LookPath("xz"); err != nil {
			Skip("no xz on this machine")
		}
		writeFile(filepath.Join(dir, "src", "x.ko"), "xz-module")
		Expect(exec.Command("xz", filepath.Join(dir, "src", "x.ko")).Run()).To(Succeed())
		Expect(copyModule(filepath.Join(dir, "src", "x.ko.xz"), filepath.Join(dir, "dst", "x.ko.xz"))).To(Succeed())
		Expect(os.ReadFile(filepath.Join(dir, "dst", "x.ko"))).To(Equal([]byte("xz-module")))
	})

	It("finds the image and modules of an unpacked kernel package, under lib/ or usr/lib/", func() {
		for _, base := range []string{"lib/modules", "usr/lib/modules"} {
			root := GinkgoT().TempDir()
			writeFile(filepath.Join(root, base, "6.12.9-amd64", "kernel", "drivers", "net", "dummy.ko.xz"), "x")
			writeFile(filepath.Join(root, "boot", "vmlinuz-6.12.9-amd64"), "kernel")
			k, err := kernelFromRoot("bpo", root)
			Expect(err).NotTo(HaveOccurred())
			Expect(k).To(Equal(kernel{Label: "bpo", Vmlinuz: filepath.Join(root, "boot", "vmlinuz-6.12.9-amd64"),
				Release: "6.12.9-amd64", Modules: filepath.Join(root, base, "6.12.9-amd64")}))
		}
		_, err := kernelFromRoot("empty", GinkgoT().TempDir())
		Expect(err).To(MatchError(ContainSubstring("cannot find the modules of kernel empty")))
	})
})
