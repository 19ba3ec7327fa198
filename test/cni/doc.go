// Package cni drives the containernetworking/plugins bridge and host-local
// plugins, as a container runtime does, against namespaces that scratchnet
// made and named by path (netns.Path, lab hosts' Path): CNI_NETNS, the
// configuration on stdin, ADD, CHECK and DEL.
//
// It is a module of its own so that nothing of the plugins reaches the
// library's go.mod: [Main] builds the plugins of one pinned release with
// "go install ...@version" when the suite starts, into the user's cache
// directory ($XDG_CACHE_HOME or ~/.cache, scratchnet/cni-plugins-VERSION),
// once; the first run needs the Go module proxy. "make test" runs it. The
// CNI recipe (docs/recipes) builds its plugins through [Main] too.
package cni
