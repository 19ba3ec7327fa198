package leaks_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/leaks"
)

func TestLeaks(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "leaks package")
}

var _ = guard.Suite()

// firstPollableEnv makes TestFirstPollableFd, in a binary re-run by the
// spec below, do its check; in any other run it does nothing.
const firstPollableEnv = "SCRATCHNET_LEAKS_FIRST_POLLABLE"

var _ = Describe("snapshots for the guard", func() {

	It("counts the runtime poller's own fds before the process's first pipe or socket opens them", func() {
		// A fresh test binary without the sandbox, in which nothing has
		// used a pollable fd yet.
		cmd := exec.Command(os.Args[0], "-test.run=^TestFirstPollableFd$", "-test.count=1")
		for _, e := range os.Environ() {
			// Not the sandbox's own settings, such as the relay to the
			// Ginkgo server that this process serves already.
			if !strings.HasPrefix(e, "SCRATCHNET_SANDBOX") {
				cmd.Env = append(cmd.Env, e)
			}
		}
		cmd.Env = append(cmd.Env, firstPollableEnv+"=1", "SCRATCHNET_SANDBOX=off")
		out, err := cmd.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "the first pipe of a fresh test binary:\n%s", out)
	})
})

// TestFirstPollableFd is the fresh binary's half of the spec above: the
// spec that happens to be the first to use a pipe or socket must not be
// blamed for the poller's epoll and eventfd fds.
func TestFirstPollableFd(t *testing.T) {
	if os.Getenv(firstPollableEnv) == "" {
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
