package sandbox

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = DescribeTable("finding the Ginkgo server a parallel process reports to",
	func(args []string, want string) {
		Expect(ginkgoServer(args)).To(Equal(want))
	},
	Entry("RPC protocol, host:port", []string{"--ginkgo.parallel.host=127.0.0.1:34561"}, "127.0.0.1:34561"),
	Entry("HTTP protocol, a URL", []string{"-ginkgo.parallel.host=http://127.0.0.1:4242"}, "127.0.0.1:4242"),
	Entry("value as the next argument", []string{"-ginkgo.parallel.host", "127.0.0.1:1"}, "127.0.0.1:1"),
	Entry("no parallel run", []string{"-ginkgo.v", "-test.count=1"}, ""),
	Entry("not an address", []string{"-ginkgo.parallel.host=nonsense"}, ""),
)
