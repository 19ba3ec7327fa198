// Package testsupport holds what the test suites of this module share
// besides the public guard package, which every suite uses for its leak
// checks and privilege skip: a recording fake of testing.TB for testing the
// failure paths of helpers, small look-ups of links and snapshots that
// fail the spec instead of returning errors, ping and UDP checks of what
// gets through between namespaces, and TCP servers and clients in
// namespaces that tell what the network did to real traffic (peers seen,
// throughput, round trips), and a small DNS responder. It imports no kind package, so
// that every kind's suite can use it.
//
// Suites treat the host namespace as read-only: "go test ./..." runs several
// package binaries at once, and anything one of them creates in the host
// namespace would show up in another's before/after comparison.
package testsupport
