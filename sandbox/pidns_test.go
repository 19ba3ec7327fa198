package sandbox_test

import (
	"os"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/sandbox"
)

var _ = Describe("the sandbox's own PID namespace and /run/netns", func() {
	BeforeEach(func() {
		if sandbox.Current() == sandbox.Off {
			Skip("needs root, or user namespaces for an unprivileged sandbox")
		}
	})

	It("runs the sandboxed test binary as the init of a PID namespace, with a /proc of it", func() {
		Expect(sandbox.InPidns()).To(BeTrue())
		Expect(os.Getpid()).To(Equal(1))
		self, err := os.Readlink("/proc/self")
		Expect(err).NotTo(HaveOccurred())
		Expect(self).To(Equal("1"))
	})

	It("mounts a tmpfs of its own on /run/netns", func() {
		Expect(sandbox.PrivateRunNetns()).To(BeTrue())
		mounts, err := os.ReadFile("/proc/self/mountinfo")
		Expect(err).NotTo(HaveOccurred())
		var found bool
		for _, l := range strings.Split(string(mounts), "\n") {
			if f := strings.Fields(l); len(f) > 8 && f[4] == sandbox.RunNetnsDir && strings.Contains(l, " - tmpfs ") {
				found = true
			}
		}
		Expect(found).To(BeTrue(), "a tmpfs mounted on %s", sandbox.RunNetnsDir)
	})
})
