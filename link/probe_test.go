package link_test

import (
	"errors"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/link"
)

var _ = Describe("one flaky probe poisoned the process: kernel-support probes remember only conclusive answers", func() {

	It("reports an inconclusive answer as such and probes again next time", func() {
		var cache link.ProbeCache
		calls := 0
		answers := []error{unix.EBUSY, nil}
		probe := func() (bool, error) {
			err := answers[calls]
			calls++
			return link.ProbeAnswer(err)
		}
		_, err := cache.Get("flaky-kind", probe)
		Expect(err).To(MatchError(unix.EBUSY))
		Expect(err).To(MatchError(ContainSubstring("says nothing about kernel support")))

		Expect(cache.Get("flaky-kind", probe)).To(BeTrue(), "the second probe was not asked")
		Expect(cache.Get("flaky-kind", probe)).To(BeTrue())
		Expect(calls).To(Equal(2), "a conclusive answer was not remembered")
	})

	It("remembers that the kernel refused the kind", func() {
		var cache link.ProbeCache
		calls := 0
		probe := func() (bool, error) { calls++; return link.ProbeAnswer(unix.EOPNOTSUPP) }
		Expect(cache.Get("missing-kind", probe)).To(BeFalse())
		Expect(cache.Get("missing-kind", probe)).To(BeFalse())
		Expect(calls).To(Equal(1))
	})

	DescribeTable("reads the kernel's answer to a probe",
		func(answer error, supported, conclusive bool) {
			got, err := link.ProbeAnswer(answer)
			Expect(err == nil).To(Equal(conclusive))
			Expect(got).To(Equal(supported))
		},
		Entry("created", nil, true, true),
		Entry("kind unknown", unix.EOPNOTSUPP, false, true),
		Entry("attributes missing", unix.EINVAL, true, true),
		Entry("no such parent", unix.ENODEV, true, true),
		Entry("busy", unix.EBUSY, false, false),
		Entry("out of memory", unix.ENOMEM, false, false),
		Entry("interrupted", unix.EINTR, false, false),
		Entry("not allowed", unix.EPERM, false, false),
		Entry("wrapped", errors.Join(errors.New("context"), unix.ENOBUFS), false, false),
	)
})
