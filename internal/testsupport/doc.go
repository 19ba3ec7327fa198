// Package testsupport holds what every test suite of this module shares: the
// per-spec leak checks (goroutines, file descriptors, threads left in a
// foreign network namespace), the per-suite check that the host network
// namespace is unchanged, the "needs root" skip, and a recording fake of
// testing.TB for testing the failure paths of helpers.
//
// A suite enables the checks with one line next to its entry point:
//
//	var _ = testsupport.Guard()
//
// Suites treat the host namespace as read-only: "go test ./..." runs several
// package binaries at once, and anything one of them creates in the host
// namespace would show up in another's before/after comparison.
package testsupport
