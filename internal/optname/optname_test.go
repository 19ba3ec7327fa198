package optname_test

import (
	"errors"
	"testing"

	"github.com/scratchnet/scratchnet/internal/optname"
	"github.com/scratchnet/scratchnet/link"
)

type opt func() error

// WithNothing stands for an option of a user's package.
func WithNothing() opt { return func() error { return errors.New("nothing to do") } }

func TestOptionsAreNamedInTheirFailures(t *testing.T) {
	for _, c := range []struct {
		name string
		opt  any
		want string
	}{
		{"this module's option", link.WithLinkNamespace(-1), "naming itself"},
		{"a caller's option made by a function", WithNothing(), "option 3: naming itself"},
		{"an anonymous option", func() error { return nil }, "option 3: naming itself"},
	} {
		if got := optname.Wrap(c.opt, 2, errors.New("naming itself")).Error(); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}
