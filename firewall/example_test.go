package firewall_test

import (
	"fmt"

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

// A rule reads as the nftables rule it becomes, as Table.Rules and failure
// reports show it; making rules needs no namespace.
func ExampleRule_String() {
	fmt.Println(firewall.Masquerade("wan"))
	fmt.Println(firewall.PortForward(firewall.TCP(8080), "10.0.1.2:80"))
	fmt.Println(firewall.Drop(firewall.From("192.0.2.0/24"), firewall.UDP(53)))
	fmt.Println(firewall.Reject(firewall.InIface("lan"), firewall.TCP(25)))
	// Output:
	// oifname "wan" masquerade
	// tcp dport 8080 dnat to 10.0.1.2:80
	// ip saddr 192.0.2.0/24 udp dport 53 drop
	// iifname "lan" tcp dport 25 reject with tcp reset
}
