package diag

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// sysctlLines shows, for all, default and every link, the sysctls that
// most often explain a failure: IPv4 and IPv6 forwarding, reverse path
// filtering, IPv6 duplicate address detection and IPv6 being off.
func sysctlLines(nsFd int) []string {
	var lines []string
	err := nsops.Do(nsFd, func() {
		// /proc/sys/net shows the namespace of the thread that opens it.
		confs := []string{"all", "default"}
		entries, _ := os.ReadDir("/proc/sys/net/ipv4/conf")
		for _, e := range entries {
			if n := e.Name(); n != "all" && n != "default" && n != "lo" {
				confs = append(confs, n)
			}
		}
		// ReadDir sorts byte-wise; a reader looks for h2 before h10.
		slices.SortFunc(confs[2:], NaturalCompare)
		width := 0
		for _, c := range confs {
			width = max(width, len(c))
		}
		for _, c := range confs {
			lines = append(lines, fmt.Sprintf("%-*s  ipv4 forwarding=%s rp_filter=%s  ipv6 forwarding=%s accept_dad=%s disable_ipv6=%s",
				width+1, c+":",
				ReadSysctl("ipv4/conf/"+c+"/forwarding"), ReadSysctl("ipv4/conf/"+c+"/rp_filter"),
				ReadSysctl("ipv6/conf/"+c+"/forwarding"), ReadSysctl("ipv6/conf/"+c+"/accept_dad"),
				ReadSysctl("ipv6/conf/"+c+"/disable_ipv6")))
		}
	})
	if err != nil {
		return []string{fmt.Sprintf("cannot read sysctls, reason: %v", err)}
	}
	return lines
}

// ReadSysctl reads one value under /proc/sys/net, such as
// "ipv4/ip_forward", or "-" when there is none (such as IPv6 knobs with
// IPv6 off). /proc/sys/net shows the namespace of the thread that opens
// it: callers read inside nsops.Do.
func ReadSysctl(path string) string {
	b, err := os.ReadFile("/proc/sys/net/" + path)
	if err != nil {
		return "-"
	}
	return strings.TrimSpace(string(b))
}
