package main

import (
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// No Debian kernel configuration enables CONFIG_NETDEVSIM, so the runner
// builds the netdevsim module out of tree for every Debian kernel it boots,
// from Debian's own packages of exactly that kernel version: the driver's
// directory of linux-source-<X.Y>, and linux-headers-<release> with the
// common headers and kbuild packages it depends on. A module built against
// another version would not load (vermagic and symbol versions).

// builtModule is a module the runner built for a kernel that lacks it.
type builtModule struct {
	Name    string   // as modprobe knows it
	File    string   // host path of the .ko
	Depends []string // the kernel's modules it needs, from its .modinfo
}

// errNoSource says that Debian publishes no source of the kernel's exact
// version: netdevsim is then skipped on that kernel, with this reason.
type errNoSource struct{ Package, Version string }

func (e errNoSource) Error() string {
	return fmt.Sprintf("Debian publishes no %s=%s, the source of exactly this kernel", e.Package, e.Version)
}

var reMajorMinor = regexp.MustCompile(`^(\d+\.\d+)[.-]`)

// sourcePackage is the Debian source package of a kernel release:
// linux-source-6.1 for 6.1.0-50-amd64, linux-source-7.2 for
// 7.2.13+deb14-amd64.
func sourcePackage(release string) (string, error) {
	m := reMajorMinor.FindStringSubmatch(release)
	if m == nil {
		return "", fmt.Errorf("cannot tell the kernel version of release %q", release)
	}
	return "linux-source-" + m[1], nil
}

// headerParts picks, from the dependencies of linux-headers-<release>, the
// packages whose files a module build reads: the common headers and kbuild.
func headerParts(depends []string) []string {
	var out []string
	for _, d := range depends {
		if (strings.HasPrefix(d, "linux-headers-") && strings.HasSuffix(d, "-common")) || strings.HasPrefix(d, "linux-kbuild-") {
			out = append(out, d)
		}
	}
	return out
}

// netdevsimFor returns the netdevsim module for kernel k, building it once
// into the cache.
func (r *runner) netdevsimFor(k kernel, f *debFetcher) (builtModule, error) {
	if f == nil || k.Version == "" {
		return builtModule{}, errors.New("netdevsim is built only for kernels fetched from a Debian suite")
	}
	cached := filepath.Join(r.cache, "modules", dirName(k.Release+"_"+k.Version))
	ko := filepath.Join(cached, "netdevsim.ko")
	if _, err := os.Stat(filepath.Join(cached, ".built")); err == nil {
		return moduleFromFile("netdevsim", ko)
	}
	start := time.Now()
	src, err := sourcePackage(k.Release)
	if err != nil {
		return builtModule{}, err
	}
	has, err := f.Has(src, k.Version)
	if err != nil {
		return builtModule{}, err
	}
	if !has {
		return builtModule{}, errNoSource{Package: src, Version: k.Version}
	}
	headers := "linux-headers-" + k.Release
	deps, err := f.Depends(headers)
	if err != nil {
		return builtModule{}, err
	}
	pkgs := append([]string{headers}, headerParts(deps)...)
	debs, err := f.FetchVersion(k.Version, append(pkgs, src)...)
	if err != nil {
		return builtModule{}, err
	}

	dir := filepath.Join(r.work, "netdevsim", dirName(k.Release))
	root := filepath.Join(dir, "root")
	if err := os.RemoveAll(dir); err != nil {
		return builtModule{}, err
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return builtModule{}, err
	}
	for _, deb := range debs[:len(debs)-1] {
		if out, err := exec.Command("dpkg-deb", "-x", deb, root).CombinedOutput(); err != nil {
			return builtModule{}, fmt.Errorf("cannot unpack %s, reason: %w: %s", deb, err, out)
		}
	}
	driver, err := extractDriver(debs[len(debs)-1], src, dir)
	if err != nil {
		return builtModule{}, err
	}
	hdir := filepath.Join(root, "usr", "src", headers)
	if err := relocateHeaders(hdir, root); err != nil {
		return builtModule{}, err
	}
	if err := r.wrapHostTools(root, f); err != nil {
		return builtModule{}, err
	}
	config, err := os.ReadFile(filepath.Join(hdir, ".config"))
	if err != nil {
		return builtModule{}, fmt.Errorf("cannot read the configuration of kernel %s, reason: %w", k.Release, err)
	}
	args := []string{"-C", hdir, "M=" + driver, "CONFIG_NETDEVSIM=m", "CONFIG_DEBUG_INFO_BTF_MODULES=", "CC=gcc", "-j2", "modules"}
	off := unsupportedCompilerFeatures(string(config), hostCompilerHas)
	for _, sym := range off {
		args = append(args, sym+"=")
	}
	if len(off) > 0 {
		r.logf("kernel %s: its configuration assumes compiler features the host's gcc lacks, built without: %s", k.Label, strings.Join(off, " "))
	}
	cmd := exec.Command("make", args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return builtModule{}, fmt.Errorf("cannot build netdevsim for kernel %s, reason: make: %w\n%s", k.Release, err, tail(string(out), 30))
	}
	if err := os.MkdirAll(cached, 0o755); err != nil {
		return builtModule{}, err
	}
	if err := copyModule(filepath.Join(driver, "netdevsim.ko"), ko); err != nil {
		return builtModule{}, fmt.Errorf("cannot cache netdevsim for kernel %s, reason: %w", k.Release, err)
	}
	if err := os.WriteFile(filepath.Join(cached, ".built"), nil, 0o644); err != nil {
		return builtModule{}, err
	}
	_ = os.RemoveAll(dir)
	r.logf("kernel %s: built netdevsim from %s=%s in %s", k.Label, src, k.Version, time.Since(start).Round(100*time.Millisecond))
	return moduleFromFile("netdevsim", ko)
}

// extractDriver takes only drivers/net/netdevsim out of the source tarball
// inside the linux-source .deb (the whole tree would be over a gigabyte).
func extractDriver(deb, src, dir string) (string, error) {
	script := `set -e
dpkg-deb --fsys-tarfile "$1" | tar -x -O "./usr/src/$2.tar.xz" | xz -dc | tar -x -C "$3" "$2/drivers/net/netdevsim"`
	if out, err := exec.Command("bash", "-o", "pipefail", "-c", script, "extract", deb, src, dir).CombinedOutput(); err != nil {
		return "", fmt.Errorf("cannot extract drivers/net/netdevsim from %s, reason: %w: %s", deb, err, out)
	}
	return filepath.Join(dir, src, "drivers", "net", "netdevsim"), nil
}

// relocateHeaders points the absolute /usr/src paths in the headers'
// Makefile (the include of the common headers, a KBUILD_OUTPUT) into the
// extraction under root.
func relocateHeaders(hdir, root string) error {
	mk := filepath.Join(hdir, "Makefile")
	data, err := os.ReadFile(mk)
	if err != nil {
		return fmt.Errorf("cannot read the kernel headers' Makefile, reason: %w", err)
	}
	abs, _ := filepath.Abs(root)
	fixed := strings.ReplaceAll(string(data), " /usr/src/", " "+abs+"/usr/src/")
	fixed = strings.ReplaceAll(fixed, "=/usr/src/", "="+abs+"/usr/src/")
	return os.WriteFile(mk, []byte(fixed), 0o644)
}

// compilerFeature is a configuration symbol that records a capability of
// the compiler the kernel was built with, and how to ask the host's gcc for
// it: a flag, or a C snippet that compiles only with the capability.
type compilerFeature struct {
	Symbol string
	Flag   string // "" with a string-valued symbol: its value is the flag
	Source string
}

// compilerFeatures are the capabilities newer Debian kernels assume (sid's
// 7.x is built with gcc 16) that this machine's gcc may lack. Setting such a
// symbol empty on make's command line makes kbuild leave out the flag or
// annotation, as it would for an older compiler; none of them changes the
// layout of a kernel structure.
var compilerFeatures = []compilerFeature{
	{Symbol: "CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT", Flag: "-fmin-function-alignment=16"},
	{Symbol: "CONFIG_CC_OPT_INLINE_MEMSET"},
	{Symbol: "CONFIG_CC_HAS_ASSUME", Source: "int f(int x) { __attribute__((assume(x > 0))); return x; }"},
	{Symbol: "CONFIG_CC_HAS_COUNTED_BY", Source: "struct s { int n; int a[] __attribute__((counted_by(n))); };"},
	{Symbol: "CONFIG_CC_HAS_COUNTED_BY_PTR", Source: "struct s { int n; int *p __attribute__((counted_by(n))); };"},
	{Symbol: "CONFIG_CC_HAS_MULTIDIMENSIONAL_NONSTRING", Source: "char a[2][4] __attribute__((nonstring));"},
}

// unsupportedCompilerFeatures lists the symbols of compilerFeatures that
// config sets and has says the host compiler lacks.
func unsupportedCompilerFeatures(config string, has func(flag, source string) bool) []string {
	values := map[string]string{}
	for _, line := range strings.Split(config, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && strings.HasPrefix(k, "CONFIG_") {
			values[k] = strings.Trim(v, `"`)
		}
	}
	var off []string
	for _, f := range compilerFeatures {
		v, set := values[f.Symbol]
		if !set {
			continue
		}
		flag := f.Flag
		if flag == "" && f.Source == "" {
			flag = v
		}
		if !has(flag, f.Source) {
			off = append(off, f.Symbol)
		}
	}
	return off
}

// hostCompilerHas compiles source (or an empty unit) with flag and -Werror.
func hostCompilerHas(flag, source string) bool {
	args := []string{"-Werror", "-c", "-x", "c", "-o", os.DevNull, "-"}
	if flag != "" {
		args = append([]string{flag}, args...)
	}
	if source == "" {
		source = "int x;\n"
	}
	cmd := exec.Command("gcc", args...)
	cmd.Stdin = strings.NewReader(source)
	return cmd.Run() == nil
}

// runtimePackages maps the libraries kbuild's host programs link to the
// Debian packages that ship them.
var runtimePackages = map[string][]string{
	"libc.so.6":      {"libc6"},
	"libelf.so.1":    {"libelf1t64", "libelf1"},
	"libz.so.1":      {"zlib1g"},
	"libzstd.so.1":   {"libzstd1"},
	"libcrypto.so.3": {"libssl3t64", "libssl3"},
}

// wrapHostTools makes kbuild's prebuilt host programs run here. A newer
// suite's (sid's) are linked against a newer C library than this machine
// has; each such program is run through the dynamic loader of its own
// suite's C library instead, unpacked next to it. Programs that run here
// as they are stay untouched.
func (r *runner) wrapHostTools(root string, f *debFetcher) error {
	var stale []string
	needed := map[string]bool{}
	err := filepath.WalkDir(filepath.Join(root, "usr", "lib"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || !strings.Contains(p, "linux-kbuild-") {
			return err
		}
		libs, ok := elfLibraries(p)
		if !ok || runsHere(p) {
			return nil
		}
		stale = append(stale, p)
		for _, l := range libs {
			needed[l] = true
		}
		return nil
	})
	if err != nil || len(stale) == 0 {
		return err
	}
	var want []string
	for lib := range needed {
		cands, ok := runtimePackages[lib]
		if !ok {
			return fmt.Errorf("cannot run kbuild's %s here, reason: it needs %s, which the runner cannot fetch", stale[0], lib)
		}
		found := false
		for _, c := range cands {
			has, err := f.Has(c, "")
			if err != nil {
				return err
			}
			if has {
				want = append(want, c)
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("cannot run kbuild's %s here, reason: suite %s publishes none of %s for %s", stale[0], f.Suite, strings.Join(cands, ", "), lib)
		}
	}
	for i := 0; i < len(want); i++ {
		deps, err := f.Depends(want[i])
		if err != nil {
			return err
		}
		for _, d := range deps {
			if strings.HasPrefix(d, "lib") && !slices.Contains(want, d) {
				want = append(want, d)
			}
		}
	}
	slices.Sort(want)
	debs, err := f.FetchVersion("", want...)
	if err != nil {
		return err
	}
	rt := filepath.Join(filepath.Dir(root), "runtime")
	for _, deb := range debs {
		if out, err := exec.Command("dpkg-deb", "-x", deb, rt).CombinedOutput(); err != nil {
			return fmt.Errorf("cannot unpack %s, reason: %w: %s", deb, err, out)
		}
	}
	loaders, _ := filepath.Glob(filepath.Join(rt, "*", "lib64", "ld-linux-x86-64.so.2"))
	more, _ := filepath.Glob(filepath.Join(rt, "lib64", "ld-linux-x86-64.so.2"))
	loaders = append(loaders, more...)
	if len(loaders) == 0 {
		return fmt.Errorf("cannot find the dynamic loader in %s of suite %s", strings.Join(want, " "), f.Suite)
	}
	libPath := strings.Join([]string{
		filepath.Join(rt, "lib", "x86_64-linux-gnu"), filepath.Join(rt, "usr", "lib", "x86_64-linux-gnu"),
	}, ":")
	for _, p := range stale {
		real := p + ".suite-libc"
		if err := os.Rename(p, real); err != nil {
			return err
		}
		script := fmt.Sprintf("#!/bin/sh\nexec %s --library-path %s %s \"$@\"\n", shellQuote(loaders[0]), shellQuote(libPath), shellQuote(real))
		if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
			return err
		}
	}
	r.logf("suite %s: running %d kbuild host programs with the suite's own C library (%s)", f.Suite, len(stale), strings.Join(want, " "))
	return nil
}

// elfLibraries returns the shared libraries a dynamically linked
// executable needs; ok is false for anything else.
func elfLibraries(p string) ([]string, bool) {
	ef, err := elf.Open(p)
	if err != nil {
		return nil, false
	}
	defer ef.Close()
	if ef.Type != elf.ET_EXEC && ef.Type != elf.ET_DYN {
		return nil, false
	}
	libs, err := ef.ImportedLibraries()
	if err != nil || len(libs) == 0 || ef.Section(".interp") == nil {
		return nil, false
	}
	return libs, true
}

// runsHere tells whether a host program starts on this machine: the
// dynamic loader refuses one linked against a newer C library with
// "version `GLIBC_2.xx' not found" before the program itself runs.
func runsHere(p string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, p).CombinedOutput()
	return !strings.Contains(string(out), "version `GLIBC_")
}

// moduleFromFile describes a built module, reading the modules it depends
// on from its .modinfo section.
func moduleFromFile(name, ko string) (builtModule, error) {
	ef, err := elf.Open(ko)
	if err != nil {
		return builtModule{}, fmt.Errorf("cannot read module %s, reason: %w", ko, err)
	}
	defer ef.Close()
	m := builtModule{Name: name, File: ko}
	sec := ef.Section(".modinfo")
	if sec == nil {
		return m, fmt.Errorf("cannot read module %s, reason: it has no .modinfo section", ko)
	}
	data, err := sec.Data()
	if err != nil {
		return m, fmt.Errorf("cannot read module %s, reason: %w", ko, err)
	}
	for _, kv := range strings.Split(string(data), "\x00") {
		if v, ok := strings.CutPrefix(kv, "depends="); ok {
			for _, d := range strings.Split(v, ",") {
				if d != "" {
					m.Depends = append(m.Depends, d)
				}
			}
		}
	}
	return m, nil
}

func tail(text string, n int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
