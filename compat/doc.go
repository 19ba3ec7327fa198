// Package compat is scratchnet's compatibility suite for users of
// thediveo/notwork: specs written the way notwork's users write their tests
// (its package-qualified calls, its option names, its unkeyed link.Link
// literal), compiled against scratchnet's packages with nothing but the
// import paths changed. It covers every exported name of notwork v1.9's
// netns, link, veth, dummy, macvlan and mntns packages.
//
// It is a module of its own (requiring the repository's through a replace
// directive), so that "go test ./..." in the repository root does not run it
// a second time, and so that the root's "go vet ./..." does not see the
// unkeyed literal notwork's users write, which go vet's composites check
// flags. "make test" vets it without that check, runs scratchnetvet on it the
// way a user's module would, and runs its specs. The specs are written from
// notwork's documented API; they are not notwork's own tests.
package compat
