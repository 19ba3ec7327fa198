package main

import (
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("finding the packages with tests", func() {
	It("keeps packages with test files, minus the runner itself and the commands, and notes testdata", func() {
		root := GinkgoT().TempDir()
		writeFile(filepath.Join(root, "link", "testdata", "x"), "x")
		mod := module{Path: "github.com/scratchnet/scratchnet", Dir: root}
		list := `{"ImportPath":"github.com/scratchnet/scratchnet/link","Dir":"` + root + `/link","XTestGoFiles":["a_test.go"]}
{"ImportPath":"github.com/scratchnet/scratchnet/internal/nsops","Dir":"` + root + `/internal/nsops","TestGoFiles":["b_test.go"]}
{"ImportPath":"github.com/scratchnet/scratchnet/macvlan","Dir":"` + root + `/macvlan"}
{"ImportPath":"github.com/scratchnet/scratchnet/test/vm","Dir":"` + root + `/test/vm","TestGoFiles":["vm_suite_test.go"]}
{"ImportPath":"github.com/scratchnet/scratchnet/cmd/scratchnetvet/analyzer","Dir":"` + root + `/cmd/scratchnetvet/analyzer","TestGoFiles":["c_test.go"]}
`
		tests, err := testPackages(strings.NewReader(list), mod)
		Expect(err).NotTo(HaveOccurred())
		Expect(tests).To(Equal([]testBinary{
			{Pkg: "github.com/scratchnet/scratchnet/link", RelDir: "link", Name: "link.test", Testdata: filepath.Join(root, "link", "testdata")},
			{Pkg: "github.com/scratchnet/scratchnet/internal/nsops", RelDir: "internal/nsops", Name: "nsops.test"},
		}))
		Expect(tests[1].guestDir()).To(Equal("/scratchnet/internal/nsops"))
	})

	It("says so when go list output is garbled", func() {
		_, err := testPackages(strings.NewReader("{nope"), module{})
		Expect(err).To(MatchError(ContainSubstring("cannot read go list output")))
	})
})

var _ = Describe("the qemu command line", func() {
	It("boots the kernel with a serial console, a virtio NIC and no reboot", func() {
		args := strings.Join(qemuArgs("tcg", "/k/vmlinuz", "/k/initrd"), " ")
		Expect(args).To(Equal("-accel tcg -m 2048 -smp 2 -nographic -no-reboot -kernel /k/vmlinuz -initrd /k/initrd " +
			"-append console=ttyS0 panic=-1 quiet -netdev user,id=net0 -device virtio-net-pci,netdev=net0,romfile="))
	})
})
