package main

import (
	"fmt"
	"os/exec"
	"path"
	"slices"
	"strings"
)

// guestTools are the host's programs that the suites run inside the guest
// where busybox's applets of the same name lack what they use: iproute2's
// ip has "-n" and "netns", which busybox's ip does not, and util-linux's
// nsenter takes --net=PATH. They go to guestToolDir, first on the guest's
// PATH, with the shared libraries they load, at the paths the host's
// dynamic loader finds them.
var guestTools = []string{"ip", "nsenter"}

const guestToolDir = "/usr/local/bin"

// guestFile is a host file and where it goes in the guest.
type guestFile struct {
	Src, Dst string
}

// resolveGuestTools finds each tool on the host and, through ldd, the
// libraries and loader it needs.
func resolveGuestTools(names []string) ([]guestFile, error) {
	var files []guestFile
	seen := map[string]bool{}
	for _, name := range names {
		p, err := exec.LookPath(name)
		if err != nil {
			return nil, fmt.Errorf("cannot find %s on the host for the guest, reason: %w (install iproute2 and util-linux)", name, err)
		}
		files = append(files, guestFile{Src: p, Dst: path.Join(guestToolDir, name)})
		out, err := exec.Command("ldd", p).Output()
		if err != nil {
			return nil, fmt.Errorf("cannot list the libraries of %s, reason: %w", p, err)
		}
		for _, lib := range lddPaths(string(out)) {
			if !seen[lib] {
				seen[lib] = true
				files = append(files, guestFile{Src: lib, Dst: lib})
			}
		}
	}
	return files, nil
}

// lddPaths picks the absolute paths out of ldd's output: "name => /path
// (addr)" for a library and "/path (addr)" for the loader; the vDSO has
// none.
func lddPaths(out string) []string {
	var paths []string
	for _, line := range strings.Split(out, "\n") {
		fields := strings.Fields(line)
		if i := slices.Index(fields, "=>"); i >= 0 && i+1 < len(fields) {
			fields = fields[i+1:]
		}
		if len(fields) > 0 && strings.HasPrefix(fields[0], "/") {
			paths = append(paths, fields[0])
		}
	}
	return paths
}
