package dummy_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/dummy"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
)

// A dummy link carries an address in a namespace without any peer. It only
// compiles here: it needs a namespace and the kernel's dummy driver, which
// many minimal kernels lack (the spec skips on those).
func ExampleNewTransientUp() {
	It("gives a namespace an interface of its own", func() {
		link.SkipUnlessSupported("dummy")
		ns := netns.NewTransient()
		d := dummy.NewTransientUp(dummy.InNamespace(ns), dummy.WithAddress("192.0.2.1/24"))
		Expect(d.Attrs().Index).To(BeNumerically(">", 0)) // its index in ns
	})
}
