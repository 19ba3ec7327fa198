package netdevsim

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/link"
)

// NetdevsimPrefix starts the names of the ports of transient netdevsim
// devices.
const NetdevsimPrefix = "ndsi-"

const (
	busDir     = "/sys/bus/netdevsim"
	devicesDir = busDir + "/devices"
	devPrefix  = "netdevsim"
	busName    = "netdevsim"
)

const (
	// idAttempts bounds the retries with the next free ID when another
	// process took the one chosen.
	idAttempts = 10
	// nameAttempts bounds the retries with fresh random port names.
	nameAttempts = 10
	// appearWithin bounds the wait for a new device's ports.
	appearWithin = 5 * time.Second
)

// creating serialises, per process, a device's creation and the search for
// its ports.
var creating sync.Mutex

// HasNetdevsim tells whether the netdevsim bus exists, that is, whether the
// netdevsim module is loaded (or built in). Package [ensure] also loads it
// and checks that this process may use it.
func HasNetdevsim() bool {
	_, err := os.Stat(busDir)
	return err == nil
}

// NewTransient creates a transient netdevsim device and returns its ID and
// its ports, port 0 first, each with its random name (starting with
// [NetdevsimPrefix]), the Index it has in its namespace, and
// LinkAttrs.Namespace naming that namespace when [InNamespace] gave one. The
// device, and with it its ports, is removed when the current node's cleanup
// runs, unless it is gone by then or is not the device created any more.
func NewTransient(opts ...Opt) (id uint, ports []netlink.Link) {
	GinkgoHelper()
	return NewTransientT(GinkgoTB(), opts...)
}

// NewTransientT is [NewTransient] for plain testing users.
func NewTransientT(t testing.TB, opts ...Opt) (id uint, ports []netlink.Link) {
	t.Helper()
	o := Options{Ports: 1, QueueCount: 1, NetnsFd: -1}
	for i, opt := range opts {
		if opt == nil {
			t.Fatalf("cannot create transient netdevsim, reason: option %d is nil", i+1)
		}
		if err := opt(&o); err != nil {
			t.Fatalf("cannot create transient netdevsim, reason: option %d failed: %v", i+1, err)
		}
	}
	if _, err := os.Stat(filepath.Join(busDir, "new_device")); err != nil {
		t.Fatalf("cannot create transient netdevsim, reason: kernel does not support netdevsim (%v; see package netdevsim/ensure)", err)
	}

	// Hold the thread, so that "the calling thread's namespace" means one
	// namespace from here to the end.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	nsfd, err := portNamespace(o.NetnsFd)
	if err != nil {
		t.Fatalf("cannot create transient netdevsim, reason: %v", err)
	}
	defer unix.Close(nsfd)
	h, err := nsops.HandleAt(nsfd)
	if err != nil {
		t.Fatalf("cannot create transient netdevsim in %s, reason: %v", nsops.Describe(nsfd), err)
	}
	defer h.Close()

	// Kernels before 5.14 do not report a port's device, and the ports
	// are told from other links as the ones that are new: no other
	// device of this process may appear meanwhile.
	creating.Lock()
	before, err := linkIndexes(h)
	if err != nil {
		creating.Unlock()
		t.Fatalf("cannot create transient netdevsim in %s, reason: %v", nsops.Describe(nsfd), err)
	}
	id, ino, err := create(nsfd, o)
	if err != nil {
		creating.Unlock()
		t.Fatalf("cannot create transient netdevsim in %s, reason: %v", nsops.Describe(nsfd), err)
	}
	t.Cleanup(func() {
		if err := removeIfOurs(t, id, ino); err != nil {
			t.Errorf("cannot remove transient netdevsim %d, reason: %v", id, err)
		}
	})
	found, err := findPorts(h, id, int(o.Ports), before)
	creating.Unlock()
	if err != nil {
		t.Fatalf("cannot find the ports of transient netdevsim %d in %s, reason: %v", id, nsops.Describe(nsfd), err)
	}
	for _, p := range found {
		// Kernels whose netdevsim predates queue counts read only the
		// ID and the port count, and give every port one queue.
		if q := p.Attrs().NumTxQueues; o.QueueCount > 1 && q != int(o.QueueCount) {
			t.Fatalf("cannot create transient netdevsim %d with %d RX/TX queues per port, reason: the kernel's netdevsim ignored the queue count (port %q has %d TX queues)",
				id, o.QueueCount, p.Attrs().Name, q)
		}
	}

	if o.MaxVFs > 0 {
		vfs := filepath.Join(devicesDir, devPrefix+strconv.FormatUint(uint64(id), 10), "sriov_numvfs")
		if err := os.WriteFile(vfs, []byte(strconv.FormatUint(uint64(o.MaxVFs), 10)), 0); err != nil {
			t.Fatalf("cannot enable %d SR-IOV VFs on transient netdevsim %d, reason: %v", o.MaxVFs, id, err)
		}
	}
	var ref any
	if o.NetnsFd >= 0 {
		ref = netlink.NsFd(o.NetnsFd)
	}
	for _, p := range found {
		named, err := rename(t, h, p)
		if err != nil {
			t.Fatalf("cannot name port %q of transient netdevsim %d in %s, reason: %v", p.Attrs().Name, id, nsops.Describe(nsfd), err)
		}
		named.Attrs().Namespace = ref
		ports = append(ports, named)
	}
	return id, ports
}

// portNamespace returns a new fd for the namespace the ports go to.
func portNamespace(netnsfd int) (int, error) {
	if netnsfd >= 0 {
		return nsops.Dup(netnsfd)
	}
	return nsops.OpenCurrent()
}

// create writes the new device's ID, port and queue counts to the bus, from
// a thread in the ports' namespace, in which the kernel creates them. It
// returns the ID and the inode of the device's sysfs directory, by which
// cleanup tells the device from a later one with the same ID.
func create(nsfd int, o Options) (uint, uint64, error) {
	var err error
	for range idAttempts {
		id := o.ID
		if !o.HasID {
			id = lowestFreeID()
		}
		spec := fmt.Sprintf("%d %d %d", id, o.Ports, o.QueueCount)
		var werr error
		if err = nsops.Do(nsfd, func() { werr = os.WriteFile(filepath.Join(busDir, "new_device"), []byte(spec), 0) }); err != nil {
			return 0, 0, err
		}
		if werr == nil {
			ino, err := deviceIno(id)
			if err != nil {
				return 0, 0, fmt.Errorf("netdevsim %d did not appear: %w", id, err)
			}
			return id, ino, nil
		}
		// The kernel answers ENOSPC for an ID that is taken (it
		// allocates exactly that one from its ID range), EEXIST in the
		// moment before the device's name is registered.
		taken := errors.Is(werr, unix.ENOSPC) || errors.Is(werr, fs.ErrExist)
		if taken {
			werr = fmt.Errorf("%w (the ID is taken)", werr)
		}
		err = fmt.Errorf("cannot create netdevsim with ID %d: %w", id, werr)
		if o.HasID || !taken {
			return 0, 0, err
		}
	}
	return 0, 0, fmt.Errorf("%d free IDs in a row were taken by others: %w", idAttempts, err)
}

// lowestFreeID returns the lowest ID no netdevsim device has.
func lowestFreeID() uint {
	entries, _ := os.ReadDir(devicesDir)
	var taken []uint
	for _, e := range entries {
		n, err := strconv.ParseUint(strings.TrimPrefix(e.Name(), devPrefix), 10, 32)
		if err == nil {
			taken = append(taken, uint(n))
		}
	}
	var id uint
	for slices.Contains(taken, id) {
		id++
	}
	return id
}

// deviceIno waits for the device's sysfs directory and returns its inode.
func deviceIno(id uint) (uint64, error) {
	dir := filepath.Join(devicesDir, devPrefix+strconv.FormatUint(uint64(id), 10))
	var err error
	for deadline := time.Now().Add(appearWithin); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		var st os.FileInfo
		if st, err = os.Stat(dir); err == nil {
			return st.Sys().(*syscall.Stat_t).Ino, nil
		}
	}
	return 0, err
}

// removeIfOurs deletes device id if it is still the device created, whose
// sysfs directory had inode ino; a device gone already is fine, and a
// newer one with the same ID is left alone and reported in the log.
func removeIfOurs(t testing.TB, id uint, ino uint64) error {
	dir := filepath.Join(devicesDir, devPrefix+strconv.FormatUint(uint64(id), 10))
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.Sys().(*syscall.Stat_t).Ino != ino {
		t.Logf("netdevsim %d is not the transient device created with that ID any more; left it alone", id)
		return nil
	}
	err = os.WriteFile(filepath.Join(busDir, "del_device"), []byte(strconv.FormatUint(uint64(id), 10)), 0)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENODEV) {
		return nil
	}
	return err
}

// linkIndexes lists the indexes of the links behind h.
func linkIndexes(h *netlink.Handle) ([]int, error) {
	links, err := nsops.RetryDump(h.LinkList)
	if err != nil {
		return nil, err
	}
	var out []int
	for _, l := range links {
		out = append(out, l.Attrs().Index)
	}
	return out, nil
}

// findPorts waits for the n ports of device id behind h and returns them in
// port order, which is the order the kernel created them in, by index. A
// kernel that reports a link's parent device (5.14 and later) names the
// device; on older ones the ports are the new "device" links, those not
// among the indexes before.
func findPorts(h *netlink.Handle, id uint, n int, before []int) ([]netlink.Link, error) {
	dev := devPrefix + strconv.FormatUint(uint64(id), 10)
	var ports []netlink.Link
	for deadline := time.Now().Add(appearWithin); ; time.Sleep(5 * time.Millisecond) {
		links, err := nsops.RetryDump(h.LinkList)
		if err != nil {
			return nil, err
		}
		ports = ports[:0]
		for _, l := range links {
			a := l.Attrs()
			switch {
			case a.ParentDevBus == busName && a.ParentDev == dev:
			case a.ParentDev == "" && l.Type() == "device" && !slices.Contains(before, a.Index):
			default:
				continue
			}
			ports = append(ports, l)
		}
		if len(ports) == n {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("found %d of its %d ports within %s", len(ports), n, appearWithin)
		}
	}
	slices.SortFunc(ports, func(a, b netlink.Link) int { return a.Attrs().Index - b.Attrs().Index })
	return ports, nil
}

// rename gives port p a random name and returns it as the kernel then
// reports it.
func rename(t testing.TB, h *netlink.Handle, p netlink.Link) (netlink.Link, error) {
	var err error
	for range nameAttempts {
		name := link.RandomNifnameT(t, NetdevsimPrefix)
		if err = h.LinkSetName(p, name); errors.Is(err, unix.EEXIST) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return h.LinkByIndex(p.Attrs().Index)
	}
	return nil, fmt.Errorf("%d random names in a row were taken: %w", nameAttempts, err)
}
