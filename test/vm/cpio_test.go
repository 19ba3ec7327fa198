package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("the newc cpio writer", func() {
	It("writes entries the format's reader gets back, parents first", func() {
		var buf bytes.Buffer
		w := newCPIOWriter(&buf)
		w.Bytes("/a/b/c.txt", 0o644, []byte("hello"))
		w.Symlink("bin/sh", "/bin/busybox")
		w.CharDev("dev/console", 0o600, 5, 1)
		w.Dir("a", 0o755) // already there: no second entry
		Expect(w.Close()).To(Succeed())
		Expect(buf.Len() % 4).To(BeZero())

		entries, err := readCPIO(buf.Bytes())
		Expect(err).NotTo(HaveOccurred())
		var names []string
		for _, e := range entries {
			names = append(names, e.Name)
		}
		Expect(names).To(Equal([]string{"a", "a/b", "a/b/c.txt", "bin", "bin/sh", "dev", "dev/console"}))
		Expect(entries[0].Mode).To(Equal(uint32(modeDir | 0o755)))
		Expect(entries[2]).To(Equal(cpioEntry{Name: "a/b/c.txt", Mode: modeFile | 0o644, Data: "hello"}))
		Expect(entries[4]).To(Equal(cpioEntry{Name: "bin/sh", Mode: modeSymlink | 0o777, Data: "/bin/busybox"}))
		Expect(entries[6]).To(Equal(cpioEntry{Name: "dev/console", Mode: modeCharDev | 0o600, RMajor: 5, RMin: 1}))
	})

	It("reports a short file instead of writing a corrupt archive", func() {
		var buf bytes.Buffer
		w := newCPIOWriter(&buf)
		w.File("x", 0o644, 10, strings.NewReader("short"))
		Expect(w.Close()).To(MatchError(ContainSubstring("cannot copy content for x")))
	})
})

var _ = Describe("initramfs assembly", func() {
	It("holds busybox and its applets, the modules, the test binaries with testdata, and /init", func() {
		dir := GinkgoT().TempDir()
		writeFile(filepath.Join(dir, "busybox"), "BUSYBOX")
		mods := filepath.Join(dir, "modroot")
		writeFile(filepath.Join(mods, "lib/modules/6.1.0-9-amd64/kernel/drivers/net/dummy.ko"), "KO")
		writeFile(filepath.Join(mods, "lib/modules/6.1.0-9-amd64/modules.dep"), "kernel/drivers/net/dummy.ko:\n")
		writeFile(filepath.Join(dir, "bin/link/link.test"), "ELF")
		writeFile(filepath.Join(dir, "src/link/testdata/golden.txt"), "gold")
		tests := []testBinary{{
			Pkg: "github.com/scratchnet/scratchnet/link", RelDir: "link", Name: "link.test",
			HostPath: filepath.Join(dir, "bin/link/link.test"), Testdata: filepath.Join(dir, "src/link/testdata"),
		}}
		initrd := filepath.Join(dir, "initrd.gz")
		Expect(writeInitramfs(initrd, initramfsSpec{
			Busybox:     filepath.Join(dir, "busybox"),
			Applets:     []string{"/bin/busybox", "/bin/sh", "/sbin/modprobe", "/usr/bin/env"},
			ModulesRoot: mods,
			Tests:       tests,
			Init:        "#!/bin/sh\necho hi\n",
			RunPass:     "#!/bin/sh\necho pass\n",
		})).To(Succeed())

		entries := readGzipCPIO(initrd)
		byName := map[string]cpioEntry{}
		seen := map[string]bool{}
		for _, e := range entries {
			if parent := filepath.Dir(e.Name); parent != "." {
				Expect(seen[parent]).To(BeTrue(), "parent of %s comes first", e.Name)
			}
			seen[e.Name] = true
			byName[e.Name] = e
		}
		Expect(byName["bin/busybox"]).To(Equal(cpioEntry{Name: "bin/busybox", Mode: modeFile | 0o755, Data: "BUSYBOX"}))
		Expect(byName["bin/sh"].Data).To(Equal("/bin/busybox"))
		Expect(byName["sbin/modprobe"].Mode).To(Equal(uint32(modeSymlink | 0o777)))
		Expect(byName["usr/bin/env"].Data).To(Equal("/bin/busybox"))
		Expect(byName["dev/console"].RMajor).To(Equal(uint32(5)))
		Expect(byName["tmp"].Mode).To(Equal(uint32(modeDir | 0o1777)))
		Expect(byName["lib/modules/6.1.0-9-amd64/kernel/drivers/net/dummy.ko"].Data).To(Equal("KO"))
		Expect(byName["lib/modules/6.1.0-9-amd64/modules.dep"].Data).To(Equal("kernel/drivers/net/dummy.ko:\n"))
		Expect(byName["scratchnet/link/link.test"]).To(Equal(cpioEntry{Name: "scratchnet/link/link.test", Mode: modeFile | 0o755, Data: "ELF"}))
		Expect(byName["scratchnet/link/testdata/golden.txt"].Data).To(Equal("gold"))
		Expect(byName["init"]).To(Equal(cpioEntry{Name: "init", Mode: modeFile | 0o755, Data: "#!/bin/sh\necho hi\n"}))
		Expect(byName["scratchnet/run-pass"]).To(Equal(cpioEntry{Name: "scratchnet/run-pass", Mode: modeFile | 0o755, Data: "#!/bin/sh\necho pass\n"}))
		Expect(byName["scratchnet/skips.awk"]).To(Equal(cpioEntry{Name: "scratchnet/skips.awk", Mode: modeFile | 0o644, Data: skipsAWK}))
		Expect(byName["etc/passwd"].Data).To(Equal(guestPasswd))
		Expect(byName["etc/group"].Data).To(Equal(guestGroup))
	})

	It("makes every test directory and file usable by the nobody pass", func() {
		dir := GinkgoT().TempDir()
		writeFile(filepath.Join(dir, "busybox"), "BB")
		writeFile(filepath.Join(dir, "bin/link.test"), "ELF")
		secret := filepath.Join(dir, "src/link/testdata/sub/private.txt")
		writeFile(secret, "p")
		Expect(os.Chmod(secret, 0o600)).To(Succeed())
		Expect(os.Chmod(filepath.Join(dir, "src/link/testdata/sub"), 0o700)).To(Succeed())
		initrd := filepath.Join(dir, "initrd.gz")
		Expect(writeInitramfs(initrd, initramfsSpec{
			Busybox: filepath.Join(dir, "busybox"),
			Tests: []testBinary{{Pkg: "x/link", RelDir: "link", Name: "link.test",
				HostPath: filepath.Join(dir, "bin/link.test"), Testdata: filepath.Join(dir, "src/link/testdata")}},
			Init: "#!/bin/sh\n", RunPass: "#!/bin/sh\n",
		})).To(Succeed())
		for _, e := range readGzipCPIO(initrd) {
			if !strings.HasPrefix(e.Name, "scratchnet") {
				continue
			}
			switch e.Mode &^ 0o7777 {
			case modeDir:
				Expect(e.Mode&0o7777).To(Equal(uint32(0o755)), e.Name)
			case modeFile:
				Expect(e.Mode&0o444).To(Equal(uint32(0o444)), e.Name)
			}
			if e.Name == "scratchnet/link/testdata/sub/private.txt" {
				Expect(e.Mode).To(Equal(uint32(modeFile | 0o644)))
			}
		}
	})

	It("fails naming the file that is missing", func() {
		dir := GinkgoT().TempDir()
		err := writeInitramfs(filepath.Join(dir, "i.gz"), initramfsSpec{Busybox: filepath.Join(dir, "nope")})
		Expect(err).To(MatchError(And(ContainSubstring("cannot write initramfs"), ContainSubstring("nope"))))
	})

	It("keeps the probe guest small: busybox and /init only", func() {
		dir := GinkgoT().TempDir()
		writeFile(filepath.Join(dir, "busybox"), "BB")
		Expect(writeInitramfs(filepath.Join(dir, "p.gz"), initramfsSpec{Busybox: filepath.Join(dir, "busybox"), Init: probeInit})).To(Succeed())
		st, err := os.Stat(filepath.Join(dir, "p.gz"))
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Size()).To(BeNumerically("<", 4096))
	})
})
