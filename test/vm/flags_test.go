package main

import (
	"io"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("the command line", func() {
	parse := func(args ...string) (config, error) { return parseFlags(args, io.Discard) }

	It("boots the whole matrix by default", func() {
		cfg, err := parse()
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.Kernels).To(Equal(defaultMatrix))
		Expect(cfg.Kernels).To(HaveLen(4))
		Expect(cfg.Kernels[0]).To(Equal(kernelSource{Label: "bullseye", Suite: "bullseye", Package: "linux-image-amd64"}))
		Expect(cfg.Kernels[2]).To(Equal(kernelSource{Label: "bookworm-backports", Suite: "bookworm-backports", Package: "linux-image-amd64"}))
		Expect(cfg.Kernels[3]).To(Equal(kernelSource{Label: "sid", Suite: "sid", Package: "linux-image-amd64"}))
		Expect(cfg.Timeout).To(Equal(15 * time.Minute))
		Expect(cfg.Patterns).To(Equal([]string{"./..."}))
		Expect(cfg.Accel).To(Equal("auto"))
		Expect(cfg.GinkgoArgs).To(BeEmpty())
		Expect(cfg.Passes).To(Equal([]guestPass{passRoot, passNobody}))
	})

	It("runs the passes asked for, root first whatever the order given", func() {
		cfg, err := parse("-passes", "nobody")
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.Passes).To(Equal([]guestPass{passNobody}))
		cfg, err = parse("-passes=nobody,root,nobody")
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.Passes).To(Equal([]guestPass{passRoot, passNobody}))
	})

	It("selects one kernel of the matrix", func() {
		cfg, err := parse("-kernel", "bookworm-backports", "-timeout=3m", "-pkgs", "./link,./netns")
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.Kernels).To(Equal(defaultMatrix[2:3]))
		Expect(cfg.Timeout).To(Equal(3 * time.Minute))
		Expect(cfg.Patterns).To(Equal([]string{"./link", "./netns"}))
	})

	It("takes another Debian kernel package, a local .deb or a vmlinuz with its modules", func() {
		cfg, err := parse("-package", "linux-image-6.1.0-28-amd64", "-suite", "bookworm")
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.Kernels).To(Equal([]kernelSource{{Label: "bookworm/linux-image-6.1.0-28-amd64", Suite: "bookworm", Package: "linux-image-6.1.0-28-amd64"}}))

		cfg, err = parse("-deb", "/tmp/k.deb")
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.Kernels).To(Equal([]kernelSource{{Label: "deb:k.deb", Deb: "/tmp/k.deb"}}))

		cfg, err = parse("-vmlinuz", "/boot/vmlinuz-6.1", "-modules", "/lib/modules/6.1")
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.Kernels).To(Equal([]kernelSource{{Label: "local:vmlinuz-6.1", Vmlinuz: "/boot/vmlinuz-6.1", Modules: "/lib/modules/6.1"}}))
	})

	It("passes Ginkgo flags through, with their values, and everything after --", func() {
		cfg, err := parse("-ginkgo.v", "-kernel=bookworm", "--ginkgo.label-filter", "dummy && !slow",
			"-ginkgo.focus=veth", "-ginkgo.fail-fast", "--", "-test.count=1")
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.Kernels).To(Equal(defaultMatrix[1:2]))
		Expect(cfg.GinkgoArgs).To(Equal([]string{"-ginkgo.v", "-ginkgo.label-filter", "dummy && !slow",
			"-ginkgo.focus=veth", "-ginkgo.fail-fast", "-test.count=1"}))
	})

	DescribeTable("rejects contradictions with a reason",
		func(want string, args ...string) {
			_, err := parse(args...)
			Expect(err).To(MatchError(ContainSubstring(want)))
		},
		Entry("unknown kernel", "the matrix has only bullseye,bookworm,bookworm-backports,sid", "-kernel", "trixie"),
		Entry("two sources", "exclude each other", "-deb", "a.deb", "-package", "linux-image-amd64"),
		Entry("matrix and deb", "exclude each other", "-kernel", "bookworm", "-deb", "a.deb"),
		Entry("vmlinuz alone", "go together", "-vmlinuz", "/boot/vmlinuz"),
		Entry("modules alone", "go together", "-modules", "/lib/modules/x"),
		Entry("suite alone", "-suite only applies to -package", "-suite", "trixie"),
		Entry("bad accel", "choose auto, kvm or tcg", "-accel", "hvf"),
		Entry("zero timeout", "must be positive", "-timeout", "0s"),
		Entry("stray argument", "unexpected argument", "./link"),
		Entry("no packages", "-pkgs is empty", "-pkgs", ","),
		Entry("unknown pass", `cannot choose pass "admin" for test-vm, reason: the passes are root,nobody`, "-passes", "root,admin"),
		Entry("no passes", "-passes is empty", "-passes", ""),
	)
})
