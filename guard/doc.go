// Package guard gives a test suite the checks that scratchnet's own suites
// run: that no spec leaves a goroutine, a file descriptor or a thread in a
// foreign network namespace behind, and that each leaves the host's network
// namespace (its links, addresses, routes, rules, permanent neighbours,
// nftables, qdiscs and sysctls) as it found it, printing what changed as a
// diff of package snapshot, such as
//
//	the spec changed the host's network namespace net:[4026532307]
//	expected the network namespace unchanged since the snapshot, but it changed:
//	    ~ link lo mtu 65536 -> 1500
//	    + address 192.0.2.77/32 dev lo
//
// and a skip for specs that lack the privilege to create network
// namespaces.
//
// See docs/captures-and-reports.md in the repository for the guide to captures
// and failure reports.
//
// A Ginkgo suite enables the checks with one line next to its entry point,
// which leaves the suite free to declare its own BeforeSuite (or
// SynchronizedBeforeSuite) and AfterSuite, and skips its privileged specs
// with another:
//
//	var _ = guard.Suite()
//
//	var _ = Describe("my network code", func() {
//	    BeforeEach(guard.SkipUnlessPrivileged)
//	    ...
//	})
//
// A plain go test calls [T] first thing, so that its checks run after every
// other cleanup of the test, defers [ReportT], so that a failure's report
// shows what the test body left, and calls [SkipUnlessPrivilegedT] where
// needed:
//
//	func TestVeth(t *testing.T) {
//	    guard.T(t)
//	    defer guard.ReportT(t)
//	    guard.SkipUnlessPrivilegedT(t)
//	    ...
//	}
//
// # Pitfalls
//
// "The host" is the network namespace of the test binary's process: with
// sandbox.Main in TestMain, that is the sandbox's namespace, which no other
// test binary shares. Without the sandbox, "go test ./..." runs several
// package binaries at once in the real host namespace, and whatever one of
// them creates there shows up in another's comparison: treat the host
// namespace as read-only, and create everything in transient namespaces.
//
// Goroutines that a spec starts and that end a little after it (netlink
// subscriptions, servers shutting down) are waited for up to two seconds
// before they count as leaked.
package guard
