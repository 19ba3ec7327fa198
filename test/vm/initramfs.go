package main

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// guestTestRoot is where the test binaries live in the guest; each one sits
// in a directory named after its package's path inside the module, so that
// it runs from "its package directory" as go test would run it. Every
// directory is 0755 and every file world-readable (binaries 0755), so that
// the nobody pass can run them and read their testdata.
const guestTestRoot = "/scratchnet"

// testBinary is one built test binary and where it goes in the guest.
type testBinary struct {
	Pkg      string // import path, used in marker lines and the report
	RelDir   string // package directory relative to the module root
	Name     string // binary file name, "<last element>.test"
	HostPath string // the built binary on the host
	Testdata string // the package's testdata directory on the host, if any
}

func (t testBinary) guestDir() string {
	return path.Join(guestTestRoot, filepath.ToSlash(t.RelDir))
}

// initramfsSpec is everything that goes into one guest's root file system.
type initramfsSpec struct {
	Busybox     string   // host path of a statically linked busybox
	Applets     []string // applet paths as "busybox --list-full" prints them
	ModulesRoot string   // host directory holding lib/modules/<version>/
	Tests       []testBinary
	Tools       []guestFile // host programs and their libraries (guesttools.go)
	Init        string      // the /init script
	RunPass     string      // the run-pass script that /init calls once per pass
}

// writeInitramfs writes spec as a gzip-compressed newc archive to dst.
func writeInitramfs(dst string, spec initramfsSpec) error {
	f, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("cannot create initramfs %s, reason: %w", dst, err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	// Fastest compression: the archive is rebuilt on every run and the
	// guest's decompression time barely depends on the level.
	zw, _ := gzip.NewWriterLevel(bw, gzip.BestSpeed)
	cw := newCPIOWriter(zw)

	err = fillInitramfs(cw, spec)
	for _, step := range []func() error{cw.Close, zw.Close, bw.Flush, f.Close} {
		if e := step(); err == nil && e != nil {
			err = e
		}
	}
	if err != nil {
		return fmt.Errorf("cannot write initramfs %s, reason: %w", dst, err)
	}
	return nil
}

func fillInitramfs(cw *cpioWriter, spec initramfsSpec) error {
	for _, d := range []string{"bin", "sbin", "usr/bin", "usr/sbin", "proc", "sys", "dev", "run", "root", "etc", "lib/modules"} {
		cw.Dir(d, 0o755)
	}
	cw.Dir("tmp", 0o1777)
	cw.CharDev("dev/console", 0o600, 5, 1)
	cw.CharDev("dev/null", 0o666, 1, 3)
	cw.Bytes("etc/passwd", 0o644, []byte(guestPasswd))
	cw.Bytes("etc/group", 0o644, []byte(guestGroup))

	if err := addHostFile(cw, spec.Busybox, "bin/busybox", 0o755); err != nil {
		return err
	}
	for _, applet := range spec.Applets {
		name := cleanName(applet)
		if name == "" || name == "bin/busybox" {
			continue
		}
		cw.Symlink(name, "/bin/busybox")
	}

	for _, f := range spec.Tools {
		if err := addHostFile(cw, f.Src, cleanName(f.Dst), 0o755); err != nil {
			return err
		}
	}

	if spec.ModulesRoot != "" {
		if err := addHostTree(cw, spec.ModulesRoot, ""); err != nil {
			return err
		}
	}

	for _, t := range spec.Tests {
		dir := cleanName(t.guestDir())
		if err := addHostFile(cw, t.HostPath, path.Join(dir, t.Name), 0o755); err != nil {
			return err
		}
		if t.Testdata != "" {
			if err := addHostTree(cw, t.Testdata, path.Join(dir, "testdata")); err != nil {
				return err
			}
		}
	}

	if spec.RunPass != "" {
		cw.Bytes(cleanName(runPassPath), 0o755, []byte(spec.RunPass))
		cw.Bytes(cleanName(skipsAWKPath), 0o644, []byte(skipsAWK))
	}
	cw.Bytes("init", 0o755, []byte(spec.Init))
	return cw.err
}

func addHostFile(cw *cpioWriter, src, name string, perm uint32) error {
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("cannot open %s for the initramfs, reason: %w", src, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("cannot stat %s for the initramfs, reason: %w", src, err)
	}
	cw.File(name, perm, st.Size(), f)
	return cw.err
}

// addHostTree copies a host directory into the archive under prefix,
// keeping symbolic links as links.
func addHostTree(cw *cpioWriter, root, prefix string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("cannot walk %s for the initramfs, reason: %w", p, err)
		}
		rel, _ := filepath.Rel(root, p)
		name := path.Join(prefix, filepath.ToSlash(rel))
		switch {
		case d.IsDir():
			cw.Dir(name, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return fmt.Errorf("cannot read link %s for the initramfs, reason: %w", p, err)
			}
			cw.Symlink(name, target)
		case d.Type().IsRegular():
			info, err := d.Info()
			if err != nil {
				return fmt.Errorf("cannot stat %s for the initramfs, reason: %w", p, err)
			}
			// Readable by all: the nobody pass reads testdata too, and
			// a checkout's private files would otherwise stay root's.
			return addHostFile(cw, p, name, uint32(info.Mode().Perm())|0o444)
		}
		return cw.err
	})
}
