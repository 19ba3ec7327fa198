package sandbox_test

import (
	"fmt"
	"os"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/netns"
)

var _ = netns.RegisterFunc("sandbox-netns", func(args []string) int {
	ns, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(ns)
	return 0
})

var _ = Describe("Go function processes under Main", func() {
	BeforeEach(guard.SkipUnlessPrivileged)

	It("runs the function in the namespace it was started in, before it would make a sandbox", func() {
		fd := netns.NewTransient()
		cmd := netns.FuncCommand("sandbox-netns")
		for _, e := range os.Environ() {
			// Left to decide by itself, a test binary makes a sandbox.
			if !strings.HasPrefix(e, "SCRATCHNET_SANDBOX") {
				cmd.Env = append(cmd.Env, e)
			}
		}
		Expect(netns.Output(fd, cmd)).To(Equal(fmt.Sprintf("net:[%d]\n", netns.Ino(fd))))
	})
})
