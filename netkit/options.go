package netkit

import "github.com/scratchnet/scratchnet/link"

// InNamespace creates the primary end in the network namespace netnsfd
// refers to. The peer is not affected: see [WithPeerNamespace].
var InNamespace = link.InNamespace

// WithAddress adds an address such as "10.0.0.1/24" or "fd00::1/64" to the
// primary end; see [link.WithAddress].
var WithAddress = link.WithAddress

// WithUp brings the primary end up; see [link.WithUp]. It only becomes
// operationally UP together with its peer, so use it with [WithPeerUp].
var WithUp = link.WithUp

// WithMTU creates the primary end with this MTU; see [link.WithMTU]. The
// peer is not affected.
var WithMTU = link.WithMTU

// WithHardwareAddr gives the primary end this hardware address, such as
// "02:00:00:00:00:01"; see [link.WithHardwareAddr]. Only an L2 pair has
// hardware addresses: creation in the default L3 mode fails with one.
var WithHardwareAddr = link.WithHardwareAddr

// WithTxQLen creates the primary end with this transmit queue length; see
// [link.WithTxQLen]. The peer is not affected.
var WithTxQLen = link.WithTxQLen

// GoesWithNamespace leaves the pair to its namespaces' teardown; see
// [link.GoesWithNamespace].
var GoesWithNamespace = link.GoesWithNamespace
