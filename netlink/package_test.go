package netlink_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
)

func TestNetlinkGotchas(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "vishvananda/netlink gotchas")
}

var _ = guard.Suite()
