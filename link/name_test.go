package link_test

import (
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
)

var _ = Describe("random interface names", func() {

	It("are the prefix followed by random alphanumerics, 15 characters in all", func() {
		seen := map[string]bool{}
		for range 100 {
			name := link.RandomNifname("pfx-")
			Expect(name).To(MatchRegexp(`^pfx-[0-9a-zA-Z]{11}$`))
			seen[name] = true
		}
		Expect(seen).To(HaveLen(100))
		Expect(link.RandomNifname("abcdefghijk")).To(HaveLen(15))
	})

	DescribeTable("refuse unusable prefixes",
		func(prefix, reason string) {
			rec := &testsupport.Recorder{}
			rec.Run(func(t testing.TB) { link.RandomNifnameT(t, prefix) })
			Expect(rec.Failures()).To(ConsistOf(
				SatisfyAll(HavePrefix("cannot create random network interface name"), ContainSubstring(reason))))
		},
		Entry("longer than 11 characters", strings.Repeat("x", 12), "at most 11"),
		Entry("empty", "", "prefix is empty"),
		Entry("with a slash", "a/b", `contains '/'`),
		Entry("with a colon", "a:b", `contains ':'`),
		Entry("with a space", "a b", `contains ' '`),
		Entry("with a control character", "a\tb", `contains '\t'`),
	)
})
