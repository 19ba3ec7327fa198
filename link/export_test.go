package link

// ProbeAnswer exposes the reading of a probe's answer to the external test
// package, so that a spec can feed a [ProbeCache] an inconclusive answer,
// which the kernel gives only by chance.
var ProbeAnswer = probeAnswer

// SolicitedNode exposes the solicited-node group of an IPv6 address, which
// EnsureUp waits for each address to join.
var SolicitedNode = solicitedNode
