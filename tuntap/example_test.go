package tuntap_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/tuntap"
)

// A tap device that a program running as uid 1000 may attach to by name. It
// only compiles here: it needs root (/dev/net/tun is root's) and the kernel's
// tun driver (the spec skips without either).
func ExampleNewTransientTap() {
	It("gives a namespace a tap device owned by an unprivileged user", func() {
		link.SkipUnlessSupported("tuntap")
		ns := netns.NewTransient()
		tap := tuntap.NewTransientTap(tuntap.InNamespace(ns), tuntap.WithOwner(1000))
		Expect(tap.Attrs().Index).To(BeNumerically(">", 0)) // its index in ns
	})
}
