package diag

import (
	"fmt"

	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// The sections this package adds to every namespace description, in this
// order, each in a file of its own. Each opens what it reads inside the
// namespace; writeSections shows at most maxSectionLines lines of each.
func init() {
	addBoundedSection("neighbours", neighbourLines)
	addBoundedSection("policy rules (besides the defaults)", ruleLines)
	addBoundedSection("qdiscs", qdiscLines)
	addBoundedSection("nftables", nftablesLines)
	addBoundedSection("sysctls", sysctlLines)
	addBoundedSection("counters", counterLines)
	addBoundedSection("bridge fdb", fdbLines)
	addBoundedSection("bridge vlans", vlanLines)
	addBoundedSection("listening sockets", socketLines)
}

// maxSectionLines bounds each section: a namespace with thousands of
// neighbours or sockets must not bury the rest of the report.
const maxSectionLines = 40

// bounded cuts lines to maxSectionLines, saying how many were left out.
func bounded(lines []string) []string {
	if len(lines) <= maxSectionLines {
		return lines
	}
	return append(lines[:maxSectionLines-1:maxSectionLines-1], fmt.Sprintf("... and %d more", len(lines)-maxSectionLines+1))
}

// withHandle runs fn with a NETLINK_ROUTE handle bound to the namespace
// and its links; what goes wrong becomes the section's one line.
func withHandle(nsFd int, what string, fn func(h *netlink.Handle, links []netlink.Link) ([]string, error)) []string {
	h, err := nsops.HandleAt(nsFd)
	if err != nil {
		return []string{fmt.Sprintf("cannot open netlink handle, reason: %v", err)}
	}
	defer h.Close()
	links, err := nsops.RetryDump(h.LinkList)
	if err != nil {
		return []string{fmt.Sprintf("cannot list links for %s, reason: %v", what, err)}
	}
	lines, err := fn(h, links)
	if err != nil {
		return []string{fmt.Sprintf("cannot list %s, reason: %v", what, err)}
	}
	return lines
}

// namesOf maps the links' indexes to their names.
func namesOf(links []netlink.Link) map[int]string {
	names := map[int]string{}
	for _, l := range links {
		names[l.Attrs().Index] = l.Attrs().Name
	}
	return names
}
