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
//  2. It fetches each kernel package once into a git-ignored cache
//     (.cache/vm/ in the module root). Debian packages come through apt with
//     a sources file and state directories of the runner's own, derived
//     from the system's Debian mirror, so the system's apt setup is never
//     touched.
//  3. It builds one static test binary per package that has tests and packs
//     an initramfs with busybox, only the kernel modules the suites need
//     (and their dependencies, decompressed and indexed by depmod), the test
//     binaries and a generated /init script. Modules that are absent from
//     the initramfs cannot be auto-loaded by the guest kernel either, which
//     is how the run proves the library works without xfrm_user and
//     nfnetlink.
//  4. It boots each kernel under qemu (KVM when a short probe boot works,
//     TCG otherwise) with a hard timeout, streams the guest console, parses
//     Ginkgo's summaries between marker lines and prints a PASS or FAIL line
//     per kernel and package, the failing specs, and a final
//     "N passed, N failed, N skipped" line. Any failure, timeout, boot
//     problem or suite that ran zero specs makes it exit non-zero.
//
// Files: flags.go (command line), deps.go (host tools), apt.go (Debian
// sources and package fetching), kernel.go (unpacking kernels, choosing
// modules), build.go (test binaries), cpio.go and initramfs.go (the guest's
// root file system), initscript.go (the guest's /init), qemu.go (booting),
// parse.go (reading the guest's output) and report.go (the verdict).
package main
