package firewall_test

import (
	"github.com/scratchnet/scratchnet/firewall"
	"github.com/scratchnet/scratchnet/netns"
)

// A router namespace that masquerades towards its "wan" interface, forwards
// its TCP port 8080 to an inner server, and refuses SMTP: in a Ginkgo spec,
// where the rules go with the spec.
func ExampleNew() {
	router := netns.NewTransient()
	tb := firewall.New(router,
		firewall.Masquerade("wan"),
		firewall.PortForward(firewall.TCP(8080), "10.0.1.2:80"))
	tb.Add(firewall.Reject(firewall.TCP(25)))
}
