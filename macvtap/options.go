package macvtap

import "github.com/scratchnet/scratchnet/link"

// InNamespace creates the macvtap in the network namespace netnsfd refers to;
// the fd stays owned by the caller.
var InNamespace = link.InNamespace

// WithLinkNamespace looks the parent up in the network namespace netnsfd
// refers to; without [InNamespace] the macvtap is created there too.
var WithLinkNamespace = link.WithLinkNamespace

// WithAddress adds an address such as "10.0.0.1/24" or "fd00::1/64" to the
// macvtap once it exists; see [link.WithAddress].
var WithAddress = link.WithAddress

// WithUp brings the macvtap up once it exists; see [link.WithUp]. It only
// gets operationally up while its parent is up.
var WithUp = link.WithUp

// WithMTU creates the link with this MTU; see [link.WithMTU].
var WithMTU = link.WithMTU

// WithHardwareAddr creates the link with this hardware address, such as
// "02:00:00:00:00:01"; see [link.WithHardwareAddr].
var WithHardwareAddr = link.WithHardwareAddr

// WithTxQLen creates the link with this transmit queue length; see
// [link.WithTxQLen].
var WithTxQLen = link.WithTxQLen

// GoesWithNamespace leaves the macvtap to its namespace's teardown instead of
// deleting it at cleanup; see [link.GoesWithNamespace].
var GoesWithNamespace = link.GoesWithNamespace
