package lab_test

import (
	"fmt"
	"os"
	"os/exec"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/lab"
	"github.com/scratchnet/scratchnet/netns"
)

var _ = Describe("a host's path", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("names the host's namespace for a process started in another host", func() {
		l := lab.New()
		alice, runtime := l.Host("alice"), l.Host("runtime")
		p := alice.Path()
		Expect(alice.Path()).To(Equal(p))
		Expect(l.Host("bob").Path()).NotTo(Equal(p))
		cmd := exec.Command("sh", "-c", `exec nsenter --net="$CNI_NETNS" readlink /proc/self/ns/net`)
		cmd.Env = append(os.Environ(), "CNI_NETNS="+p)
		Expect(runtime.Output(cmd)).To(Equal(fmt.Sprintf("net:[%d]\n", netns.Ino(alice.Netns()))))
	})
})
