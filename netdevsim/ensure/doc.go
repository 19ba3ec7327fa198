// Package ensure makes the netdevsim bus available to a test, or says why it
// cannot be: it loads the netdevsim module when the bus is missing and the
// process may load modules, and otherwise skips (or fails) the spec with
// the reason.
//
// See docs/namespaces-and-links.md in the repository for the guide to
// namespaces and links.
//
//	BeforeEach(ensure.SkipUnlessNetdevsim)
//
// netdevsim devices are made by writing to files under /sys/bus/netdevsim,
// which only root of the initial user namespace may write; a process that is
// root only in a user namespace of its own (a rootless sandbox) cannot, even
// when the module is loaded. Few distribution kernels build netdevsim (no
// Debian kernel does); scratchnet's `make test-vm` builds it out of tree for
// each Debian kernel it boots.
//
// Like a link kind, netdevsim named in the environment variable
// link.RequireKindsEnv (or "all" there) turns a skip for missing kernel
// support into a failure; a skip for missing privilege stays a skip.
package ensure
