package main

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// kernel is an unpacked kernel ready to boot.
type kernel struct {
	Label   string
	Vmlinuz string
	Release string // the lib/modules/<release> name
	Modules string // host directory lib/modules/<release> with modules.dep
	Version string // the Debian package version, when it came from Debian
}

// unpackDebs extracts the .deb files of one kernel once into one directory
// of the cache, named after the first; a stamp file marks a complete
// extraction so that an interrupted one is redone.
func unpackDebs(debs []string, cacheDir string) (string, error) {
	root := filepath.Join(cacheDir, "kernels", strings.TrimSuffix(filepath.Base(debs[0]), ".deb"))
	stamp := filepath.Join(root, ".unpacked")
	if _, err := os.Stat(stamp); err == nil {
		return root, nil
	}
	if err := os.RemoveAll(root); err != nil {
		return "", fmt.Errorf("cannot clear %s for %s, reason: %w", root, debs[0], err)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("cannot create %s for %s, reason: %w", root, debs[0], err)
	}
	for _, deb := range debs {
		if out, err := exec.Command("dpkg-deb", "-x", deb, root).CombinedOutput(); err != nil {
			return "", fmt.Errorf("cannot unpack %s, reason: %w: %s", deb, err, out)
		}
	}
	if err := os.WriteFile(stamp, nil, 0o644); err != nil {
		return "", fmt.Errorf("cannot mark %s unpacked, reason: %w", debs[0], err)
	}
	return root, nil
}

// debVersion reads the Version field of a .deb.
func debVersion(deb string) (string, error) {
	out, err := exec.Command("dpkg-deb", "-f", deb, "Version").Output()
	if err != nil {
		return "", fmt.Errorf("cannot read the version of %s, reason: %w", deb, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// kernelFromRoot finds the kernel image and modules of an unpacked package.
// Newer Debian kernels install their modules under usr/lib/modules, and
// sid's split packages put the image there too, as
// usr/lib/modules/<release>/vmlinuz.
func kernelFromRoot(label, root string) (kernel, error) {
	var dirs []string
	for _, base := range []string{"lib/modules", "usr/lib/modules"} {
		m, _ := filepath.Glob(filepath.Join(root, base, "*", "kernel"))
		for _, k := range m {
			dirs = append(dirs, filepath.Dir(k))
		}
	}
	if len(dirs) != 1 {
		return kernel{}, fmt.Errorf("cannot find the modules of kernel %s, reason: expected one lib/modules/<release>/kernel in %s, found %d", label, root, len(dirs))
	}
	release := filepath.Base(dirs[0])
	var tried []string
	for _, vmlinuz := range []string{filepath.Join(root, "boot", "vmlinuz-"+release), filepath.Join(dirs[0], "vmlinuz")} {
		if _, err := os.Stat(vmlinuz); err == nil {
			return kernel{Label: label, Vmlinuz: vmlinuz, Release: release, Modules: dirs[0]}, nil
		}
		tried = append(tried, vmlinuz)
	}
	return kernel{}, fmt.Errorf("cannot find the image of kernel %s, reason: none of %s exists", label, strings.Join(tried, ", "))
}

// ensureModulesDep runs depmod on a modules tree that has no modules.dep
// yet (a kernel .deb ships none: its postinst makes it) and returns the
// directory holding modules.dep. The index goes into the tree itself, as
// bookworm's depmod has no output-directory option; for a .deb that tree is
// the runner's own unpacked copy.
func ensureModulesDep(k kernel, workDir string) (string, error) {
	if _, err := os.Stat(filepath.Join(k.Modules, "modules.dep")); err == nil {
		return k.Modules, nil
	}
	// depmod -b wants <base>/lib/modules/<release>; give it that shape
	// whatever the tree's real location (lib/ or usr/lib/, or a user's
	// directory).
	base := filepath.Join(workDir, "depmod-base")
	link := filepath.Join(base, "lib", "modules", k.Release)
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		return "", fmt.Errorf("cannot prepare depmod for kernel %s, reason: %w", k.Label, err)
	}
	abs, _ := filepath.Abs(k.Modules)
	_ = os.Remove(link)
	if err := os.Symlink(abs, link); err != nil {
		return "", fmt.Errorf("cannot prepare depmod for kernel %s, reason: %w", k.Label, err)
	}
	if b, err := exec.Command("depmod", "-b", base, k.Release).CombinedOutput(); err != nil {
		return "", fmt.Errorf("cannot index the modules of kernel %s, reason: depmod: %w: %s", k.Label, err, b)
	}
	return k.Modules, nil
}

// moduleName is the name modprobe knows a module file by.
func moduleName(file string) string {
	base := filepath.Base(file)
	if i := strings.Index(base, ".ko"); i >= 0 {
		base = base[:i]
	}
	return strings.ReplaceAll(base, "-", "_")
}

// moduleSelection is the part of a kernel's modules a guest gets.
type moduleSelection struct {
	Files   []string      // module files relative to lib/modules/<release>
	Load    []guestModule // modules init loads, in the wanted order
	Staged  []string      // modules present as files that init does not load
	Builtin []string      // wanted or staged modules built into the kernel
	Missing []string      // wanted or staged modules the kernel does not have
}

// packageModules keeps, of each package's modules in table, those the
// selection holds as files: a module built in needs no loading, and one
// missing is reported once, as missing.
func (sel moduleSelection) packageModules(table map[string][]guestModule) map[string][]guestModule {
	out := map[string][]guestModule{}
	for pkg, mods := range table {
		for _, m := range mods {
			if slices.Contains(sel.Staged, m.Name) {
				out[pkg] = append(out[pkg], m)
			}
		}
	}
	return out
}

// selectModules computes the wanted and staged modules and everything they
// depend on from a modules.dep and modules.builtin. Giving the guest only
// these files also keeps the kernel from auto-loading anything else
// (xfrm_user, nfnetlink), which is what the run must prove the library can
// do without.
func selectModules(modulesDep, modulesBuiltin string, wanted []guestModule, staged []string) moduleSelection {
	deps := map[string][]string{}
	fileOf := map[string]string{}
	for _, line := range strings.Split(modulesDep, "\n") {
		mod, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		mod = strings.TrimSpace(mod)
		fileOf[moduleName(mod)] = mod
		deps[mod] = strings.Fields(rest)
	}
	builtin := map[string]bool{}
	for _, line := range strings.Split(modulesBuiltin, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			builtin[moduleName(line)] = true
		}
	}

	var sel moduleSelection
	seen := map[string]bool{}
	var visit func(file string)
	visit = func(file string) {
		if seen[file] {
			return
		}
		seen[file] = true
		sel.Files = append(sel.Files, file)
		for _, d := range deps[file] {
			visit(d)
		}
	}
	for _, w := range wanted {
		name := strings.ReplaceAll(w.Name, "-", "_")
		switch {
		case fileOf[name] != "":
			visit(fileOf[name])
			sel.Load = append(sel.Load, w)
		case builtin[name]:
			sel.Builtin = append(sel.Builtin, w.Name)
		default:
			sel.Missing = append(sel.Missing, w.Name)
		}
	}
	for _, n := range staged {
		name := strings.ReplaceAll(n, "-", "_")
		switch {
		case fileOf[name] != "":
			visit(fileOf[name])
			sel.Staged = append(sel.Staged, n)
		case builtin[name]:
			sel.Builtin = append(sel.Builtin, n)
		default:
			sel.Missing = append(sel.Missing, n)
		}
	}
	sort.Strings(sel.Files)
	return sel
}

// stageModules copies the selected modules of k into dst/lib/modules/
// <release>, decompressing .ko.xz/.ko.gz (busybox's modprobe in the guest
// loads plain .ko only), adds the modules built for it under updates/, and
// indexes them all with depmod. Built modules are staged, not loaded; the
// kernel's modules they depend on are staged with them.
func stageModules(k kernel, depDir string, wanted []guestModule, staged []string, built []builtModule, dst string) (moduleSelection, error) {
	depData, err := os.ReadFile(filepath.Join(depDir, "modules.dep"))
	if err != nil {
		return moduleSelection{}, fmt.Errorf("cannot read modules.dep of kernel %s, reason: %w", k.Label, err)
	}
	builtinData, _ := os.ReadFile(filepath.Join(k.Modules, "modules.builtin"))
	for _, b := range built {
		staged = append(staged, b.Depends...)
	}
	sel := selectModules(string(depData), string(builtinData), wanted, staged)

	target := filepath.Join(dst, "lib", "modules", k.Release)
	if err := os.RemoveAll(dst); err != nil {
		return sel, fmt.Errorf("cannot clear %s for kernel %s, reason: %w", dst, k.Label, err)
	}
	if err := os.MkdirAll(target, 0o755); err != nil {
		return sel, fmt.Errorf("cannot create %s for kernel %s, reason: %w", target, k.Label, err)
	}
	for _, rel := range sel.Files {
		if err := copyModule(filepath.Join(k.Modules, rel), filepath.Join(target, rel)); err != nil {
			return sel, fmt.Errorf("cannot stage module %s of kernel %s, reason: %w", rel, k.Label, err)
		}
	}
	for _, b := range built {
		if err := copyModule(b.File, filepath.Join(target, "updates", b.Name+".ko")); err != nil {
			return sel, fmt.Errorf("cannot stage built module %s of kernel %s, reason: %w", b.Name, k.Label, err)
		}
		sel.Staged = append(sel.Staged, b.Name)
	}
	for _, f := range []string{"modules.builtin", "modules.builtin.modinfo", "modules.order"} {
		if data, err := os.ReadFile(filepath.Join(k.Modules, f)); err == nil {
			if err := os.WriteFile(filepath.Join(target, f), data, 0o644); err != nil {
				return sel, fmt.Errorf("cannot stage %s of kernel %s, reason: %w", f, k.Label, err)
			}
		}
	}
	if b, err := exec.Command("depmod", "-b", dst, k.Release).CombinedOutput(); err != nil {
		return sel, fmt.Errorf("cannot index the staged modules of kernel %s, reason: depmod: %w: %s", k.Label, err, b)
	}
	return sel, nil
}

func copyModule(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	switch {
	case strings.HasSuffix(src, ".xz"):
		dst = strings.TrimSuffix(dst, ".xz")
		out, err := os.Create(dst)
		if err != nil {
			return err
		}
		cmd := exec.Command("xz", "-dc", src)
		cmd.Stdout = out
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err = cmd.Run()
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("xz -dc: %w: %s", err, stderr.String())
		}
		return nil
	case strings.HasSuffix(src, ".gz"):
		in, err := os.Open(src)
		if err != nil {
			return err
		}
		defer in.Close()
		zr, err := gzip.NewReader(in)
		if err != nil {
			return err
		}
		return writeFrom(strings.TrimSuffix(dst, ".gz"), zr)
	case strings.HasSuffix(src, ".zst"):
		dst = strings.TrimSuffix(dst, ".zst")
		if b, err := exec.Command("zstd", "-q", "-d", "-f", "-o", dst, src).CombinedOutput(); err != nil {
			return fmt.Errorf("zstd -d: %w: %s", err, b)
		}
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return writeFrom(dst, in)
}

func writeFrom(dst string, r io.Reader) error {
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, r)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
