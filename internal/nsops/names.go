package nsops

import (
	"fmt"
	"strconv"
	"sync"
)

// names holds the names the user gave network namespaces (netns.WithName,
// lab hosts and segments), by inode number, for [Describe] and
// [DescribeIno]: every message about a named namespace names it.
var (
	namesMu sync.Mutex
	names   = map[uint64]*string{}
)

// Name has messages name the network namespace of inode ino as name until
// the returned function is called. The caller calls it when it closes its
// reference to the namespace: the kernel may give the inode number to a new
// namespace once this one is gone. A later Name for the same inode takes
// over; forgetting the earlier one then leaves it in place.
func Name(ino uint64, name string) (forget func()) {
	entry := &name
	namesMu.Lock()
	names[ino] = entry
	namesMu.Unlock()
	return func() {
		namesMu.Lock()
		defer namesMu.Unlock()
		if names[ino] == entry {
			delete(names, ino)
		}
	}
}

// nameOf returns the name given to the namespace of inode ino, or "".
func nameOf(ino uint64) string {
	namesMu.Lock()
	defer namesMu.Unlock()
	if entry := names[ino]; entry != nil {
		return *entry
	}
	return ""
}

// DescribeIno names the network namespace of inode ino in messages: by the
// name given to it, if any, and by its inode number as "ip" and /proc show
// it, such as `network namespace "alice" (net:[4026532307])`, or
// `network namespace net:[4026532307]` for one without a name.
func DescribeIno(ino uint64) string {
	if name := nameOf(ino); name != "" {
		return fmt.Sprintf("network namespace %s (net:[%d])", strconv.Quote(name), ino)
	}
	return fmt.Sprintf("network namespace net:[%d]", ino)
}
