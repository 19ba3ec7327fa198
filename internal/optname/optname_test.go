package optname_test

import (
	"errors"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/optname"
	"github.com/scratchnet/scratchnet/link"
)

func TestOptname(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "optname package")
}

var _ = guard.Suite()

type opt func() error

// WithNothing stands for an option of a user's package.
func WithNothing() opt { return func() error { return errors.New("nothing to do") } }

var _ = DescribeTable("options named in their failures",
	func(o any, want string) {
		Expect(optname.Wrap(o, 2, errors.New("naming itself"))).To(MatchError(want))
	},
	Entry("this module's option, which names itself", link.WithLinkNamespace(-1), "naming itself"),
	Entry("a caller's option made by a function, counted among the caller's", WithNothing(), "option 3: naming itself"),
	Entry("an anonymous option", func() error { return nil }, "option 3: naming itself"),
)
