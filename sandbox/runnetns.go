package sandbox

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// RunNetnsDir is where ip(8) looks for named network namespaces
// (/var/run/netns, which names the same directory where /var/run is a link
// to /run, as on every current distribution).
const RunNetnsDir = "/run/netns"

// privateRunNetns is set once the sandbox has a /run/netns of its own.
var privateRunNetns bool

// PrivateRunNetns reports whether /run/netns belongs to this sandbox: the
// sandboxed test binary runs in a mount namespace of its own, in which an
// empty tmpfs is mounted there, so names pinned in it cannot collide with
// those of other processes, and the host's /run/netns is never touched.
func PrivateRunNetns() bool { return privateRunNetns }

// stopPropagation keeps the sandbox's mounts from reaching the host: a
// mount namespace made by root alone keeps the host's shared peer groups.
// Mounts of the host still reach the sandbox.
func stopPropagation() error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_SLAVE, ""); err != nil {
		return fmt.Errorf("cannot stop mount propagation to the host, reason: %w", err)
	}
	return nil
}

// mountRunNetns gives the sandbox's mount namespace a /run/netns of its
// own; propagation must have been stopped.
func mountRunNetns() error {
	_, err := os.Stat(RunNetnsDir)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist):
		// A mount point cannot be made in the host's /run (an
		// unprivileged user cannot, root should not): cover /run with a
		// tmpfs that shows the same entries.
		if err := coverRun(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("cannot look at %s, reason: %w", RunNetnsDir, err)
	}
	if err := unix.Mount("tmpfs", RunNetnsDir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=0755"); err != nil {
		return fmt.Errorf("cannot mount a tmpfs on %s, reason: %w", RunNetnsDir, err)
	}
	privateRunNetns = true
	return nil
}

// coverRun mounts a tmpfs on /run holding a netns directory and, bind
// mounted or copied from the original /run, each entry that was there.
func coverRun() error {
	run := filepath.Dir(RunNetnsDir)
	entries, err := os.ReadDir(run)
	if err != nil {
		return fmt.Errorf("cannot list %s, reason: %w", run, err)
	}
	old, err := unix.Open(run, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("cannot open %s, reason: %w", run, err)
	}
	defer unix.Close(old)
	var st unix.Stat_t
	if err := unix.Fstat(old, &st); err != nil {
		return fmt.Errorf("cannot stat %s, reason: %w", run, err)
	}
	if err := unix.Mount("tmpfs", run, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode="+strconv.FormatUint(uint64(st.Mode&0o7777), 8)); err != nil {
		return fmt.Errorf("cannot mount a tmpfs on %s, reason: %w", run, err)
	}
	oldPath := "/proc/self/fd/" + strconv.Itoa(old)
	for _, e := range entries {
		src, dst := filepath.Join(oldPath, e.Name()), filepath.Join(run, e.Name())
		switch {
		case e.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(src)
			if err == nil {
				err = os.Symlink(target, dst)
			}
			if err != nil {
				return fmt.Errorf("cannot keep %s, reason: %w", dst, err)
			}
			continue
		case e.IsDir():
			err = os.Mkdir(dst, 0o755)
		default:
			err = os.WriteFile(dst, nil, 0o644)
		}
		if err == nil {
			err = unix.Mount(src, dst, "", unix.MS_BIND|unix.MS_REC, "")
		}
		if err != nil {
			return fmt.Errorf("cannot keep %s, reason: %w", dst, err)
		}
	}
	return os.Mkdir(RunNetnsDir, 0o755)
}
