package leaks_test

import (
	"os"
	"os/exec"
	"slices"
	"testing"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/leaks"
)

// TestHostDiff checks that a host snapshot's diff names only what changed,
// a link by its index and name, other lines whole.
func TestHostDiff(t *testing.T) {
	guard.T(t)
	before := []string{
		"addr 1 127.0.0.1/8",
		"link 1 lo type=device mtu=65536 flags=up|loopback master=0",
		"link 2 gone type=veth mtu=1500 flags=up master=0",
		"route table=254 dst=10.0.0.0/24 gw=<nil> dev=2 proto=2",
	}
	now := []string{
		"addr 1 127.0.0.1/8",
		"addr 1 192.0.2.1/32",
		"link 1 lo type=device mtu=1500 flags=up|loopback master=0",
	}
	want := []string{
		"changed: link 1 lo type=device mtu=65536 flags=up|loopback master=0 -> link 1 lo type=device mtu=1500 flags=up|loopback master=0",
		"removed: link 2 gone type=veth mtu=1500 flags=up master=0",
		"removed: route table=254 dst=10.0.0.0/24 gw=<nil> dev=2 proto=2",
		"added: addr 1 192.0.2.1/32",
	}
	if got := leaks.HostDiff(before, now); !slices.Equal(got, want) {
		t.Errorf("HostDiff:\n got %q\nwant %q", got, want)
	}
	if got := leaks.HostDiff(before, before); len(got) != 0 {
		t.Errorf("HostDiff of a snapshot with itself: got %q, want nothing", got)
	}
}

// TestFirstPollableFd checks, in a fresh test binary without the sandbox,
// that a snapshot of open fds already counts the runtime poller's own fds,
// which the first pipe or socket of the process opens: the spec that
// happens to be the first to use one is not blamed for them.
func TestFirstPollableFd(t *testing.T) {
	if os.Getenv("SCRATCHNET_LEAKS_FIRST_POLLABLE") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFirstPollableFd$", "-test.count=1")
		cmd.Env = append(os.Environ(), "SCRATCHNET_LEAKS_FIRST_POLLABLE=1", "SCRATCHNET_SANDBOX=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("cannot check the first pollable fd of a fresh test binary, reason: %v\n%s", err, out)
		}
		return
	}
	before, err := leaks.OpenFDs()
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	w.Close()
	now, err := leaks.OpenFDs()
	if err != nil {
		t.Fatal(err)
	}
	if leaked := leaks.NewFDs(before, now); len(leaked) != 0 {
		t.Errorf("the first pipe of the process left fds that a snapshot before it did not count: %q", leaked)
	}
}
