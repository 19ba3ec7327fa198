package veth

import "github.com/scratchnet/scratchnet/link"

// InNamespace creates the first end ("dupond") in the network namespace
// netnsfd refers to. The peer is not affected: see [WithPeerNamespace].
var InNamespace = link.InNamespace

// WithAddress adds an address such as "10.0.0.1/24" or "fd00::1/64" to the
// first end; see [link.WithAddress].
var WithAddress = link.WithAddress

// WithUp brings the first end up; see [link.WithUp]. The end only becomes
// operationally UP together with its peer, so use it with [WithPeerUp].
var WithUp = link.WithUp

// WithMTU creates the link with this MTU; see [link.WithMTU].
var WithMTU = link.WithMTU

// WithHardwareAddr creates the link with this hardware address, such as
// "02:00:00:00:00:01"; see [link.WithHardwareAddr].
var WithHardwareAddr = link.WithHardwareAddr

// WithTxQLen creates the link with this transmit queue length; see
// [link.WithTxQLen].
var WithTxQLen = link.WithTxQLen

// GoesWithNamespace leaves the pair to its namespaces' teardown; see
// [link.GoesWithNamespace].
var GoesWithNamespace = link.GoesWithNamespace
