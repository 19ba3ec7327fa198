package main

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("host programs for the guest", func() {
	It("reads the libraries and the loader from ldd's output, leaving out the vDSO", func() {
		out := `	linux-vdso.so.1 (0x00007fc3cd42d000)
	libmnl.so.0 => /lib/x86_64-linux-gnu/libmnl.so.0 (0x00007fc3cd2aa000)
	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007fc3cd0a4000)
	/lib64/ld-linux-x86-64.so.2 (0x00007fc3cd42f000)
`
		Expect(lddPaths(out)).To(Equal([]string{
			"/lib/x86_64-linux-gnu/libmnl.so.0", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"}))
	})

	It("puts the tools first on the guest's PATH, with their libraries", func() {
		files, err := resolveGuestTools([]string{"ip"})
		Expect(err).NotTo(HaveOccurred())
		Expect(files[0].Dst).To(Equal("/usr/local/bin/ip"))
		Expect(files).To(ContainElement(HaveField("Dst", ContainSubstring("libc.so"))))
		Expect(initScript(initOptions{})).To(ContainSubstring("export PATH=/usr/local/bin:"))
	})

	It("names what to install when a tool is missing", func() {
		_, err := resolveGuestTools([]string{"no-such-tool-here"})
		Expect(err).To(MatchError(ContainSubstring("cannot find no-such-tool-here on the host")))
	})
})
