package ipvlan_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
)

func TestIPVlan(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "ipvlan package")
}

var _ = guard.Suite()
