// Package sandbox runs a test binary inside network namespaces of its own, so
// that its tests can create namespaces and links without sudo, and so that
// they never touch the real host network namespace, even as root.
//
// See docs/sandbox.md in the repository for the guide to the rootless sandbox
// and the tools that need flags there.
//
// A suite opts in from its TestMain:
//
//	func TestMain(m *testing.M) { sandbox.Main(m) }
//
// [Main] re-executes the test binary, with the same arguments, environment,
// standard input, output and error, in a child process that lives:
//
//   - for an unprivileged user, in a new user namespace where the user is
//     mapped to root, and a new network namespace owned by it: the tests run
//     as root there and may create namespaces, veth pairs, bridges, macvlans
//     and more, with no privilege on the host;
//   - for root, in a new network namespace only: the suite's "host"
//     namespace is then a throw-away one, and the real one stays untouched.
//
// Either way the child also gets a mount namespace of its own, in which
// /run/netns is an empty tmpfs ([PrivateRunNetns]; where /run/netns does
// not exist, /run is covered by a tmpfs that shows the same entries), and a
// PID namespace of its own, with a /proc of it, whose init the test binary
// is ([InPidns]): when it ends, however (a SIGKILL, a crash), the kernel
// kills every process it left, so daemons that tests started, and their
// children, never outlive it. Where the kernel refuses that /proc (an
// unprivileged user namespace under a /proc with masked paths), the child
// runs without a PID namespace. [HostPid] is the test binary's pid as the
// host sees it. As that namespace's init the test binary also inherits the
// orphans of the processes its tests start (a daemon's child whose parent
// was killed); they stay zombies until it exits, since reaping them could
// steal the exit status of a child that os/exec waits for.
//
// The parent waits for the child, passes SIGINT and SIGTERM on, and exits
// with the child's status. Output files named by flags (-test.coverprofile,
// -ginkgo.json-report, ...) are written by the child, relative to the same
// working directory. Under "ginkgo -p" every process sandboxes itself; the
// parent relays the Ginkgo processes' connections to the Ginkgo server,
// which listens on the real host's loopback.
//
// When neither is possible (user namespaces disabled, a seccomp filter, too
// few capabilities), or when the environment variable SCRATCHNET_SANDBOX is
// "off", the tests run unsandboxed: privileged specs then skip with "needs
// root". [Current] tells a spec which way it runs.
//
// # Pitfalls
//
// The kernel does not load modules on behalf of a user namespace: a link
// kind whose module is not loaded yet (dummy, vlan, bond, ...) cannot be
// created inside an unprivileged sandbox, and the kernel-support probe says
// so. A sandboxed suite sees no "real" interface: its host namespace starts
// with lo only, so specs needing a hardware parent must create a parent
// themselves or take the unsandboxed route.
//
// In the unprivileged sandbox only the user is mapped, to root, and the
// kernel refuses setgroups, so tools that change to a user of their own
// fail there. tcpdump does so before capturing or reading a file, also with
// "-Z root" ("Couldn't change to 'tcpdump' uid=...: Operation not
// permitted"): capture with tshark, which runs as the namespace's root, or
// with package capture. dnsmasq needs --no-daemon (-d): daemonizing, and
// --keep-in-foreground even with --user=root, fail on the group change. ip,
// ss, ping and nsenter work, and so do CNI plugins given
// CNI_NETNS=netns.Path(fd).
package sandbox
