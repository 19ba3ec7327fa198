// Package bench measures what scratchnet's helpers cost compared with doing
// the same with raw system calls and netlink requests. It holds only a
// benchmark suite, built with the "bench" tag and run by "make bench"; plain
// "go test ./..." skips it.
//
// The suite prints a table of median per-iteration times and their ratios:
//
//	(a) raw floor: two namespaces by unshare, a veth pair by one RTM_NEWLINK,
//	    teardown by closing the namespaces
//	(b) the same, deleting the veth pair explicitly
//	(c) the per-link API: two netns.NewTransient and a veth.NewTransient
//	    across them, with their cleanups
//	(d) a lab with two hosts joined by an addressed wire
//	(e) link.EnsureAllUp on a fresh veth pair
//	(f) 1000 labs in a row, first 250 against last 250
//
// A second table, the scale series, builds labs of k = 10, 100 and 1000
// hosts, on one segment (hosts made one by one, or at once by AddHosts) and
// as a chain of routers, next to the same kernel
// work done by raw netlink requests, and prints the cost per host, the
// ratio of the per-host cost at 1000 to that at 10, and lab/raw.
//
// (a) and (d), and (b) and (c), are measured in turns within one run, and
// (c)/(b) is the median ratio of back-to-back pairs, so that the kernel's
// varying RCU grace period does not decide the comparison.
//
// Deleting one link makes the kernel wait for an RCU grace period, tens of
// milliseconds, while a dying namespace removes all its links in one batch:
// that is why (a) and (d) are so much cheaper than (b) and (c).
package bench
