package nsops_test

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/netns"
)

var _ = Describe("namespaces in messages, named by the name the user gave them, in one place", func() {

	It("names a namespace by its name and inode until the name is forgotten, and only by its inode after", func() {
		// No namespace has inode 1: nsfs inode numbers start far above.
		Expect(nsops.DescribeIno(1)).To(Equal("network namespace net:[1]"))
		forget := nsops.Name(1, "alice")
		Expect(nsops.DescribeIno(1)).To(Equal(`network namespace "alice" (net:[1])`))
		forget()
		Expect(nsops.DescribeIno(1)).To(Equal("network namespace net:[1]"))
	})

	It("lets a later name take over, which forgetting the earlier one leaves in place", func() {
		forgetFirst := nsops.Name(1, "first")
		forgetSecond := nsops.Name(1, "second")
		forgetFirst()
		Expect(nsops.DescribeIno(1)).To(Equal(`network namespace "second" (net:[1])`))
		forgetSecond()
		Expect(nsops.DescribeIno(1)).To(Equal("network namespace net:[1]"))
	})

	It("quotes what a name holds that would be unreadable in a message", func() {
		defer nsops.Name(1, "dhcp \"server\"\n")()
		Expect(nsops.DescribeIno(1)).To(Equal(`network namespace "dhcp \"server\"\n" (net:[1])`))
	})

	Context("given an fd", func() {
		BeforeEach(guard.SkipUnlessPrivileged)

		It("describes the namespace the fd refers to the same way", func() {
			fd := netns.NewTransient()
			ino := netns.Ino(fd)
			Expect(nsops.Describe(fd)).To(Equal(fmt.Sprintf("network namespace net:[%d]", ino)))
			forget := nsops.Name(ino, "bob")
			Expect(nsops.Describe(fd)).To(Equal(fmt.Sprintf(`network namespace "bob" (net:[%d])`, ino)))
			forget()
			Expect(nsops.Describe(fd)).To(Equal(fmt.Sprintf("network namespace net:[%d]", ino)))
		})
	})
})
