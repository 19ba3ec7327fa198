// Command vm runs the project's test suites inside real Debian kernels under
// qemu. It is what `make test-vm` runs.
//
// The host kernel of our CI machines is a minimal build without loadable
// modules, so every spec that needs dummy, vlan, ipvlan, bond, vrf and
// friends would only ever be skipped there. Users run the library on
// distribution kernels, where those kinds are modules and where the XFRM and
// netfilter netlink families are often not loaded. This runner proves the
// suites on such kernels:
//
//  1. It installs the host tools it needs (qemu, a static busybox, kmod,
//     cpio, xz) through apt-get when they are missing and it runs as root.
//  2. It boots the matrix of flags.go, Debian bullseye's 5.10, bookworm's
//     6.1, bookworm-backports' 6.12 and sid's 7.2 (whose kernel is split
//     into linux-binary, linux-modules and linux-base packages).
//     It fetches each kernel package once into a git-ignored cache
//     (.cache/vm/ in the module root). Debian packages come through apt with
//     a sources file and state directories of the runner's own, derived
//     from the system's Debian mirror, so the system's apt setup is never
//     touched.
//  3. It builds one static test binary per package that has tests and packs
//     an initramfs with busybox, only the kernel modules the suites need
//     (and their dependencies, decompressed and indexed by depmod), the test
//     binaries (each in its package's directory, with its testdata, all
//     readable by anyone), /etc/passwd and /etc/group for busybox su, a
//     generated /init and a generated run-pass script. Modules that are
//     absent from the initramfs cannot be auto-loaded by the guest kernel
//     either, which is how the run proves the library works without
//     xfrm_user and nfnetlink. For every kernel it also builds netdevsim,
//     which no Debian kernel enables, from Debian's source and header
//     packages of exactly that kernel version (nsim.go), caches the module
//     and stages it for netdevsim/ensure to load.
//  4. The guest's /init mounts the pseudo file systems (/tmp a tmpfs of
//     mode 1777), loads the modules, stops the kernel from loading any
//     module by itself (each refused request is reported), makes
//     /dev/net/tun 0666 as udev would,
//     brings up lo and the virtio NIC eth0, and then runs every test binary
//     twice, in two passes (-passes selects them):
//     - root, with SCRATCHNET_SANDBOX=off: the suites run in the guest's
//     initial network namespace and see its real eth0, which the specs
//     needing a "hardware" macvlan parent look for;
//     - nobody (uid and gid 65534, switched to with busybox su, HOME under
//     /tmp): package sandbox puts each binary in a user namespace of its
//     own. The kernel loads no modules for a user namespace, but init has
//     loaded them all, so every kind must work there too.
//     Both passes run with SCRATCHNET_REQUIRE_KINDS=all, so a kind that does
//     not work fails instead of skipping. Each binary also writes a Ginkgo
//     JUnit report, from which a small awk script (skips.awk) prints the
//     specs that skipped themselves, with their reasons. The modules some
//     packages alone need (nftables for lab, firewall and fault: packageModules in
//     initscript.go) are loaded by init just before that package's binary
//     and removed right after it, in both passes.
//  5. It boots each kernel under qemu (KVM when a short probe boot works,
//     TCG otherwise) with a hard timeout, streams the guest console, parses
//     Ginkgo's summaries between marker lines and prints a PASS or FAIL line
//     per kernel, pass and package, a line per kernel and pass with its spec
//     counts and guest time, the failing specs, what nobody skipped and why,
//     and a final "N passed, N failed, N skipped" line over all passes and
//     kernels. Any failure, timeout, boot problem or suite that ran zero
//     specs makes it exit non-zero, and so do, per kernel: a spec skipped
//     without a stated reason, a nobody pass that did not run as 65534, and
//     a nobody pass that ran fewer than 80% of the specs the root pass ran
//     ("cannot accept unprivileged run on <kernel>, reason: nobody ran N of
//     M specs root ran (< 80%)"), the bar issue 7 sets for running without
//     privileges.
//
// Files: flags.go (command line, the matrix), deps.go (host tools), apt.go
// (Debian sources and package fetching), kernel.go (unpacking kernels,
// choosing modules), nsim.go (building netdevsim), build.go (test binaries), cpio.go and initramfs.go (the guest's
// root file system), initscript.go (the guest's /init, run-pass and
// skips.awk, and the two passes), qemu.go (booting),
// parse.go (reading the guest's output) and report.go (the verdict).
package main
