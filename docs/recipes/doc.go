// Package recipes holds worked examples of testing network software with
// scratchnet, each a Ginkgo spec that "make test" runs: a real CNI plugin,
// a Go HTTP server and client in a routed lab, a DHCP server and client, a
// DNS server, and a NAT gateway on a rate-limited wire. README.md in this
// directory shows the key part of each.
//
// It is a Go module of its own, like compat and test/cni, so that what the
// recipes use reaches neither the library's go.mod nor its users'.
package recipes
