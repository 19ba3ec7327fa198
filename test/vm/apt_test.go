package main

import (
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// This machine's own /etc/apt/sources.list.d/debian.sources, as shipped.
const debianSources = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
# http://snapshot.debian.org/archive/debian-security/20250520T000000Z
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`

var _ = Describe("apt sources", func() {
	It("parses deb822 stanzas and leaves disabled ones out", func() {
		srcs := parseDeb822Sources(debianSources + "\nTypes: deb\nURIs: http://off.example/debian\nSuites: bookworm\nComponents: main\nEnabled: no\n")
		Expect(srcs).To(HaveLen(2))
		Expect(srcs[0]).To(Equal(aptSource{
			Types: []string{"deb"}, URIs: []string{"http://deb.debian.org/debian"},
			Suites: []string{"bookworm", "bookworm-updates"}, Components: []string{"main"},
			SignedBy: "/usr/share/keyrings/debian-archive-keyring.gpg",
		}))
	})

	It("parses one-line entries with options and comments", func() {
		srcs := parseOneLineSources("# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian bookworm main contrib # tail\ndeb-src http://mirror.example/debian bookworm main\nbroken\n")
		Expect(srcs).To(Equal([]aptSource{
			{Types: []string{"deb"}, URIs: []string{"http://mirror.example/debian"}, Suites: []string{"bookworm"}, Components: []string{"main", "contrib"}, SignedBy: "/k.gpg"},
			{Types: []string{"deb-src"}, URIs: []string{"http://mirror.example/debian"}, Suites: []string{"bookworm"}, Components: []string{"main"}},
		}))
	})

	It("reads the files apt reads, and only those", func() {
		etc := GinkgoT().TempDir()
		writeFile(filepath.Join(etc, "sources.list.d", "debian.sources"), debianSources)
		writeFile(filepath.Join(etc, "sources.list.d", "other.list"), "deb http://other.example/x stable main\n")
		writeFile(filepath.Join(etc, "sources.list.d", "nodesource.sources.disabled-by-farm"), "Types: deb\nURIs: http://nope.example\nSuites: bookworm\nComponents: main\n")
		srcs, err := readSystemSources(etc)
		Expect(err).NotTo(HaveOccurred())
		var uris []string
		for _, s := range srcs {
			uris = append(uris, s.URIs...)
		}
		Expect(uris).To(Equal([]string{"http://deb.debian.org/debian", "http://deb.debian.org/debian-security", "http://other.example/x"}))
	})

	It("derives the mirror for a suite and its backports from the release's entry, not the security archive", func() {
		srcs := parseDeb822Sources(debianSources)
		for _, suite := range []string{"bookworm", "bookworm-backports"} {
			uri, key, err := debianMirror(srcs, suite, "")
			Expect(err).NotTo(HaveOccurred())
			Expect(uri).To(Equal("http://deb.debian.org/debian"))
			Expect(key).To(Equal("/usr/share/keyrings/debian-archive-keyring.gpg"))
		}
		Expect(aptSourcesLine("http://deb.debian.org/debian", "bookworm-backports", "/usr/share/keyrings/debian-archive-keyring.gpg")).To(Equal(
			"deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-backports main\n"))
	})

	It("says why when no Debian source carries the release", func() {
		_, _, err := debianMirror(parseOneLineSources("deb http://archive.ubuntu.example/ubuntu noble main\n"), "bookworm-backports", "")
		Expect(err).To(MatchError(ContainSubstring("cannot derive a Debian mirror for suite bookworm-backports, reason: no enabled \"deb\" source for bookworm")))
	})

	It("drops an embedded key block that a one-line sources file cannot hold", func() {
		srcs := parseDeb822Sources("Types: deb\nURIs: http://m.example/debian\nSuites: bookworm\nComponents: main\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n abc\n")
		_, key, err := debianMirror(srcs, "bookworm", "")
		Expect(err).NotTo(HaveOccurred())
		Expect(key).To(BeEmpty())
	})

	It("resolves the meta package from apt-cache depends output", func() {
		out := "linux-image-amd64\n  Depends: linux-image-6.12.95+deb12-amd64\n"
		Expect(realKernelPackage("linux-image-amd64", out)).To(Equal("linux-image-6.12.95+deb12-amd64"))
		Expect(realKernelPackage("linux-image-6.1.0-28-amd64", "")).To(Equal("linux-image-6.1.0-28-amd64"))
		_, err := realKernelPackage("linux-image-amd64", "linux-image-amd64\n  Depends: <linux-base>\n")
		Expect(err).To(MatchError(ContainSubstring("cannot resolve kernel package linux-image-amd64")))
	})
})
