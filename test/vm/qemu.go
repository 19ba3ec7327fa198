package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// qemuArgs is the command line for one guest boot. The NIC is set up with
// an empty romfile because the guest boots from -kernel and never needs the
// iPXE option ROM, whose package may be missing.
func qemuArgs(accel, vmlinuz, initrd string) []string {
	return []string{
		"-accel", accel,
		"-m", "2048",
		"-smp", "2",
		"-nographic",
		"-no-reboot",
		"-kernel", vmlinuz,
		"-initrd", initrd,
		"-append", "console=ttyS0 panic=-1 quiet",
		"-netdev", "user,id=net0",
		"-device", "virtio-net-pci,netdev=net0,romfile=",
	}
}

// bootGuest runs qemu until the guest powers off or timeout passes, handing
// every console line to onLine as it arrives. It returns a description of a
// boot problem, or "" when qemu ended by itself with status 0.
func bootGuest(ctx context.Context, args []string, timeout time.Duration, onLine func(string)) string {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64", args...)
	// No terminal: qemu would otherwise switch the caller's tty to raw mode.
	cmd.Stdin = nil
	cmd.WaitDelay = 5 * time.Second
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		return fmt.Sprintf("cannot start qemu-system-x86_64, reason: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
		for sc.Scan() {
			onLine(cleanConsoleLine(sc.Text()))
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	err := cmd.Wait()
	pw.Close()
	<-done
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Sprintf("cannot finish the guest run, reason: timed out after %s", timeout)
	case ctx.Err() != nil:
		return fmt.Sprintf("cannot finish the guest run, reason: %v", ctx.Err())
	case err != nil:
		return fmt.Sprintf("cannot finish the guest run, reason: qemu-system-x86_64: %v", err)
	}
	return ""
}

// reEscape matches the terminal control sequences SeaBIOS and the kernel
// send to the serial console (screen clears, wrap-mode switches); they are
// noise in a log file.
var reEscape = regexp.MustCompile(`\x1b(\[[0-9;?]*[A-Za-z]|[()][A-Za-z0-9]|[A-Za-z])`)

// cleanConsoleLine strips control sequences and stray control characters
// from a line of guest console output.
func cleanConsoleLine(s string) string {
	s = reEscape.ReplaceAllString(s, "")
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// probeMarker is what the probe guest prints when it got to run its init.
const probeMarker = markerPrefix + " probe-ok"

// probeInit is the /init of the probe guest: prove that userspace runs,
// then power off at once.
const probeInit = "#!/bin/sh\necho " + probeMarker + "\npoweroff -f\n"

// kvmWorks boots the probe initramfs under KVM for at most limit. On
// machines where /dev/kvm exists but nested virtualisation does not really
// work, a KVM guest hangs instead of failing, so only a full boot to init
// counts. The answer is not cached: the next run may be on another machine.
func kvmWorks(ctx context.Context, vmlinuz, probeInitrd string, limit time.Duration) (bool, string) {
	f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
	if err != nil {
		return false, fmt.Sprintf("/dev/kvm not usable: %v", err)
	}
	f.Close()
	ok := false
	problem := bootGuest(ctx, qemuArgs("kvm", vmlinuz, probeInitrd), limit, func(line string) {
		if strings.Contains(line, probeMarker) {
			ok = true
		}
	})
	switch {
	case ok:
		return true, "a KVM probe boot reached init"
	case problem != "":
		return false, "a KVM probe boot failed: " + problem
	}
	return false, "a KVM probe boot did not reach init"
}
