package vlan

import "github.com/scratchnet/scratchnet/link"

// WithMTU creates the link with this MTU; see [link.WithMTU].
var WithMTU = link.WithMTU

// WithHardwareAddr creates the link with this hardware address, such as
// "02:00:00:00:00:01"; see [link.WithHardwareAddr].
var WithHardwareAddr = link.WithHardwareAddr

// WithTxQLen creates the link with this transmit queue length; see
// [link.WithTxQLen].
var WithTxQLen = link.WithTxQLen
