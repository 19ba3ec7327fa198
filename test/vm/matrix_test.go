package main

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("kernels of the whole matrix", func() {
	It("takes sid's split kernel as the image metapackage plus its parts of the same release", func() {
		depends := "linux-image-7.2.13+deb14-amd64\n  PreDepends: linux-base\n |Depends: dracut\n  Depends: <linux-initramfs-tool>\n" +
			"  Depends: linux-base-7.2.13+deb14-amd64\n  Depends: linux-binary-7.2.13+deb14-amd64\n  Depends: linux-modules-7.2.13+deb14-amd64\n  Suggests: linux-doc-7.2\n"
		Expect(kernelPackages("linux-image-7.2.13+deb14-amd64", depends)).To(Equal([]string{
			"linux-image-7.2.13+deb14-amd64", "linux-base-7.2.13+deb14-amd64", "linux-binary-7.2.13+deb14-amd64", "linux-modules-7.2.13+deb14-amd64",
		}))
		Expect(kernelPackages("linux-image-6.1.0-50-amd64", "linux-image-6.1.0-50-amd64\n  Depends: kmod\n  Depends: linux-base\n")).To(Equal([]string{"linux-image-6.1.0-50-amd64"}))
	})

	It("finds bullseye and sid in the archive of the system's own release", func() {
		srcs := parseDeb822Sources(debianSources)
		for _, suite := range []string{"bullseye", "sid"} {
			uri, key, err := debianMirror(srcs, suite, "bookworm")
			Expect(err).NotTo(HaveOccurred())
			Expect(uri).To(Equal("http://deb.debian.org/debian"))
			Expect(key).To(Equal("/usr/share/keyrings/debian-archive-keyring.gpg"))
		}
		_, _, err := debianMirror(srcs, "sid", "")
		Expect(err).To(MatchError(ContainSubstring("cannot derive a Debian mirror for suite sid")))
	})

	It("reads the system's release from os-release", func() {
		p := filepath.Join(GinkgoT().TempDir(), "os-release")
		writeFile(p, "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n")
		Expect(systemRelease(p)).To(Equal("bookworm"))
		Expect(systemRelease(filepath.Join(GinkgoT().TempDir(), "none"))).To(BeEmpty())
	})

	It("finds the image of a split kernel next to its modules", func() {
		root := GinkgoT().TempDir()
		dir := filepath.Join(root, "usr", "lib", "modules", "7.2.13+deb14-amd64")
		writeFile(filepath.Join(dir, "kernel", "net", "x.ko.xz"), "x")
		writeFile(filepath.Join(dir, "vmlinuz"), "kernel")
		k, err := kernelFromRoot("sid", root)
		Expect(err).NotTo(HaveOccurred())
		Expect(k).To(Equal(kernel{Label: "sid", Vmlinuz: filepath.Join(dir, "vmlinuz"), Release: "7.2.13+deb14-amd64", Modules: dir}))
		Expect(os.Remove(filepath.Join(dir, "vmlinuz"))).To(Succeed())
		_, err = kernelFromRoot("sid", root)
		Expect(err).To(MatchError(ContainSubstring("cannot find the image of kernel sid, reason: none of")))
	})

	It("stages the modules of packageModules without loading them, and keeps per package only those present as files", func() {
		dep := modulesDep + "kernel/net/netfilter/nfnetlink.ko.xz:\nkernel/net/netfilter/nf_tables.ko.xz: kernel/net/netfilter/nfnetlink.ko.xz\n"
		sel := selectModules(dep, "kernel/net/netfilter/nf_conntrack.ko\n", []guestModule{{Name: "dummy"}}, []string{"nf_tables", "nf_conntrack", "nft_masq"})
		Expect(sel.Load).To(Equal([]guestModule{{Name: "dummy"}}))
		Expect(sel.Staged).To(Equal([]string{"nf_tables"}))
		Expect(sel.Files).To(ContainElements("kernel/net/netfilter/nfnetlink.ko.xz", "kernel/net/netfilter/nf_tables.ko.xz"))
		Expect(sel.Builtin).To(Equal([]string{"nf_conntrack"}))
		Expect(sel.Missing).To(Equal([]string{"nft_masq"}))
		Expect(sel.packageModules(map[string][]guestModule{
			"./lab":  {{Name: "nf_conntrack"}, {Name: "nf_tables"}, {Name: "nft_masq"}},
			"./none": {{Name: "nft_masq"}},
		})).To(Equal(map[string][]guestModule{"./lab": {{Name: "nf_tables"}}}))
	})
})

var _ = Describe("building netdevsim for a Debian kernel", func() {
	DescribeTable("names the source package of a kernel release",
		func(release, want string) { Expect(sourcePackage(release)).To(Equal(want)) },
		Entry("bullseye", "5.10.0-32-amd64", "linux-source-5.10"),
		Entry("bookworm", "6.1.0-50-amd64", "linux-source-6.1"),
		Entry("backports", "6.12.95+deb12-amd64", "linux-source-6.12"),
		Entry("sid", "7.2.13+deb14-amd64", "linux-source-7.2"),
	)

	It("refuses a release without a version", func() {
		_, err := sourcePackage("custom")
		Expect(err).To(MatchError(ContainSubstring(`cannot tell the kernel version of release "custom"`)))
	})

	It("takes the common headers and kbuild from the headers' dependencies, nothing else", func() {
		Expect(headerParts([]string{"gcc-16-for-host", "linux-base", "linux-base-7.2.13+deb14-amd64", "linux-headers-7.2.13+deb14-common", "linux-kbuild-7.2.13+deb14"})).
			To(Equal([]string{"linux-headers-7.2.13+deb14-common", "linux-kbuild-7.2.13+deb14"}))
		Expect(headerParts([]string{"linux-headers-6.1.0-50-common", "linux-kbuild-6.1", "linux-compiler-gcc-12-x86"})).
			To(Equal([]string{"linux-headers-6.1.0-50-common", "linux-kbuild-6.1"}))
	})

	It("turns off the compiler features the kernel's configuration assumes and the host's compiler lacks", func() {
		config := "CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT=y\nCONFIG_CC_OPT_INLINE_MEMSET=\"-finline-stringops=memset\"\nCONFIG_CC_HAS_ASSUME=y\n# CONFIG_CC_HAS_COUNTED_BY is not set\n"
		var asked []string
		off := unsupportedCompilerFeatures(config, func(flag, source string) bool {
			asked = append(asked, flag+source)
			return flag == "-fmin-function-alignment=16"
		})
		Expect(off).To(Equal([]string{"CONFIG_CC_OPT_INLINE_MEMSET", "CONFIG_CC_HAS_ASSUME"}))
		Expect(asked).To(HaveLen(3), "unset symbols need no probe")
		Expect(asked[1]).To(Equal("-finline-stringops=memset"), "a string-valued symbol is its own flag")
	})

	It("points the headers' absolute /usr/src paths into the extraction", func() {
		root := GinkgoT().TempDir()
		hdir := filepath.Join(root, "usr", "src", "linux-headers-7.2.13+deb14-amd64")
		writeFile(filepath.Join(hdir, "Makefile"), "KBUILD_OUTPUT=/usr/src/linux-headers-7.2.13+deb14-amd64\ninclude /usr/src/linux-headers-7.2.13+deb14-common/Makefile\n")
		Expect(relocateHeaders(hdir, root)).To(Succeed())
		got, err := os.ReadFile(filepath.Join(hdir, "Makefile"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(got)).To(Equal("KBUILD_OUTPUT=" + root + "/usr/src/linux-headers-7.2.13+deb14-amd64\ninclude " + root + "/usr/src/linux-headers-7.2.13+deb14-common/Makefile\n"))
	})

	It("says that Debian publishes no source of exactly this kernel", func() {
		Expect(errNoSource{Package: "linux-source-6.1", Version: "6.1.99-1"}.Error()).To(Equal("Debian publishes no linux-source-6.1=6.1.99-1, the source of exactly this kernel"))
	})

	It("keeps apt's spelling of an epoch in file names", func() {
		Expect(debFileVersion("1:2.3-4")).To(Equal("1%3a2.3-4"))
	})

	It("tells a program this machine's C library can run from one it cannot", func() {
		Expect(runsHere("/bin/true")).To(BeTrue())
		libs, ok := elfLibraries("/bin/true")
		Expect(ok).To(BeTrue())
		Expect(libs).To(ContainElement("libc.so.6"))
		_, ok = elfLibraries(filepath.Join("testdata", "ginkgo-pass.txt"))
		Expect(ok).To(BeFalse())
	})

	It("shows the last lines of a long build log", func() {
		Expect(tail("a\nb\nc\nd\n", 2)).To(Equal("c\nd"))
		Expect(tail("a\n", 5)).To(Equal("a"))
	})
})
