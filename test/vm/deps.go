package main

import (
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// hostTool is one program the runner needs on the host and the Debian
// package that provides it.
type hostTool struct {
	Name    string
	Package string
	Found   func() (string, bool)
}

func lookPath(name string) func() (string, bool) {
	return func() (string, bool) {
		p, err := exec.LookPath(name)
		return p, err == nil
	}
}

// staticBusybox finds a statically linked busybox: a dynamic one (the
// "busybox" package) would not run in the guest, which has no libc.
func staticBusybox() (string, bool) {
	for _, p := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		if isStaticELF(p) {
			return p, true
		}
	}
	if p, err := exec.LookPath("busybox"); err == nil && isStaticELF(p) {
		return p, true
	}
	return "", false
}

func isStaticELF(p string) bool {
	f, err := elf.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			return false
		}
	}
	return true
}

var hostTools = []hostTool{
	{Name: "qemu-system-x86_64", Package: "qemu-system-x86", Found: lookPath("qemu-system-x86_64")},
	{Name: "static busybox", Package: "busybox-static", Found: staticBusybox},
	{Name: "depmod", Package: "kmod", Found: lookPath("depmod")},
	{Name: "cpio", Package: "cpio", Found: lookPath("cpio")},
	{Name: "xz", Package: "xz-utils", Found: lookPath("xz")},
	{Name: "dpkg-deb", Package: "dpkg", Found: lookPath("dpkg-deb")},
	{Name: "apt-get", Package: "apt", Found: lookPath("apt-get")},
	// Programs the suites run in the guest (guesttools.go).
	{Name: "ip", Package: "iproute2", Found: lookPath("ip")},
	{Name: "nsenter", Package: "util-linux", Found: lookPath("nsenter")},
	{Name: "ldd", Package: "libc-bin", Found: lookPath("ldd")},
	// For building netdevsim out of tree (nsim.go).
	{Name: "make", Package: "make", Found: lookPath("make")},
	{Name: "gcc", Package: "gcc", Found: lookPath("gcc")},
}

// missingPackages lists the Debian packages of the tools not found.
func missingPackages(tools []hostTool) []string {
	var pkgs []string
	for _, t := range tools {
		if _, ok := t.Found(); !ok {
			pkgs = append(pkgs, t.Package)
		}
	}
	return pkgs
}

// ensureHostTools installs the missing tools through apt-get when running as
// root, or says exactly what to install.
func ensureHostTools(out io.Writer) error {
	missing := missingPackages(hostTools)
	if len(missing) == 0 {
		return nil
	}
	install := "apt-get install -y --no-install-recommends " + strings.Join(missing, " ")
	if os.Geteuid() != 0 {
		return fmt.Errorf("cannot find the host tools for test-vm, reason: missing; as root run: apt-get update && %s", install)
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return fmt.Errorf("cannot install %s for test-vm, reason: no apt-get on this machine", strings.Join(missing, " "))
	}
	fmt.Fprintf(out, "test-vm: installing %s\n", strings.Join(missing, " "))
	for _, args := range [][]string{
		{"apt-get", "update"},
		append([]string{"apt-get", "install", "-y", "--no-install-recommends"}, missing...),
	} {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("cannot run %q for test-vm, reason: %w", strings.Join(args, " "), err)
		}
	}
	if still := missingPackages(hostTools); len(still) > 0 {
		return fmt.Errorf("cannot find the host tools for test-vm, reason: still missing after installing: %s", strings.Join(still, " "))
	}
	return nil
}
