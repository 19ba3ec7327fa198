package capture

import (
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// line decodes one frame into a single readable line, in the spirit of
// tcpdump: the time, the addresses and what the packet is (ARP, ICMPv4,
// ICMPv6 with neighbour discovery, TCP with its flags, UDP, DNS and DHCP).
// Whatever it cannot decode it names with its EtherType or IP protocol and
// length, the frame's length on the wire (frame may be only its start). A
// raw frame is an IP packet without a link-layer header, as a tun device
// carries it.
func line(ts time.Time, frame []byte, length int, raw bool) string {
	first := layers.LayerTypeEthernet
	if raw {
		first = layers.LayerTypeIPv4
		if len(frame) > 0 && frame[0]>>4 == 6 {
			first = layers.LayerTypeIPv6
		}
	}
	p := gopacket.NewPacket(frame, first, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
	return ts.Format("15:04:05.000000") + " " + describe(p, length, raw)
}

func describe(p gopacket.Packet, length int, raw bool) string {
	eth, _ := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
	if eth == nil && !raw {
		return fmt.Sprintf("undecodable frame, length %d", length)
	}
	if arp, ok := p.Layer(layers.LayerTypeARP).(*layers.ARP); ok {
		return describeARP(arp)
	}
	var src, dst, family string
	switch ip := p.NetworkLayer().(type) {
	case *layers.IPv4:
		src, dst, family = ip.SrcIP.String(), ip.DstIP.String(), "IP"
	case *layers.IPv6:
		src, dst, family = ip.SrcIP.String(), ip.DstIP.String(), "IP6"
	default:
		if eth == nil {
			return fmt.Sprintf("undecodable packet, length %d", length)
		}
		return fmt.Sprintf("%s > %s ethertype %s (%#04x), length %d",
			eth.SrcMAC, eth.DstMAC, eth.EthernetType, uint16(eth.EthernetType), length)
	}
	what := describeTransport(p)
	if tcp, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP); ok {
		src += fmt.Sprintf(".%d", tcp.SrcPort)
		dst += fmt.Sprintf(".%d", tcp.DstPort)
	} else if udp, ok := p.Layer(layers.LayerTypeUDP).(*layers.UDP); ok {
		src += fmt.Sprintf(".%d", udp.SrcPort)
		dst += fmt.Sprintf(".%d", udp.DstPort)
	}
	return fmt.Sprintf("%s %s > %s: %s", family, src, dst, what)
}

func describeARP(arp *layers.ARP) string {
	sender, target := net.IP(arp.SourceProtAddress), net.IP(arp.DstProtAddress)
	switch arp.Operation {
	case layers.ARPRequest:
		return fmt.Sprintf("ARP who-has %s tell %s (%s)", target, sender, net.HardwareAddr(arp.SourceHwAddress))
	case layers.ARPReply:
		return fmt.Sprintf("ARP reply %s is-at %s", sender, net.HardwareAddr(arp.SourceHwAddress))
	}
	return fmt.Sprintf("ARP operation %d from %s", arp.Operation, sender)
}

// describeTransport describes what an IP packet carries, innermost
// application layer first.
func describeTransport(p gopacket.Packet) string {
	if dns, ok := p.Layer(layers.LayerTypeDNS).(*layers.DNS); ok {
		return describeDNS(dns)
	}
	// gopacket picks the decoder by destination port first: a DNS
	// response to a client on port 68 would be taken for DHCP.
	if udp, ok := p.Layer(layers.LayerTypeUDP).(*layers.UDP); ok && (udp.SrcPort == 53 || udp.DstPort == 53) {
		var dns layers.DNS
		if dns.DecodeFromBytes(udp.Payload, gopacket.NilDecodeFeedback) == nil {
			return describeDNS(&dns)
		}
	}
	if dhcp, ok := p.Layer(layers.LayerTypeDHCPv4).(*layers.DHCPv4); ok {
		return describeDHCPv4(dhcp)
	}
	if dhcp, ok := p.Layer(layers.LayerTypeDHCPv6).(*layers.DHCPv6); ok {
		return fmt.Sprintf("DHCPv6 %s xid %#x", dhcp.MsgType, dhcp.TransactionID)
	}
	if tcp, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP); ok {
		return describeTCP(tcp, ipPayload(p)-int(tcp.DataOffset)*4)
	}
	if udp, ok := p.Layer(layers.LayerTypeUDP).(*layers.UDP); ok {
		return fmt.Sprintf("UDP length %d", int(udp.Length)-8)
	}
	if icmp, ok := p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4); ok {
		return describeICMPv4(p, icmp)
	}
	if icmp, ok := p.Layer(layers.LayerTypeICMPv6).(*layers.ICMPv6); ok {
		return describeICMPv6(p, icmp)
	}
	if err := p.ErrorLayer(); err != nil {
		return "undecodable: " + err.Error().Error()
	}
	switch ip := p.NetworkLayer().(type) {
	case *layers.IPv4:
		return fmt.Sprintf("protocol %s, length %d", ip.Protocol, len(ip.Payload))
	case *layers.IPv6:
		return fmt.Sprintf("next header %s, length %d", ip.NextHeader, len(ip.Payload))
	}
	return "unknown"
}

// ipPayload returns the length of the IP packet's payload as its header
// says: the report keeps only the start of each packet.
func ipPayload(p gopacket.Packet) int {
	switch ip := p.NetworkLayer().(type) {
	case *layers.IPv4:
		return int(ip.Length) - int(ip.IHL)*4
	case *layers.IPv6:
		return int(ip.Length)
	}
	return 0
}

func describeICMPv4(p gopacket.Packet, icmp *layers.ICMPv4) string {
	// tcpdump's length is the whole ICMP message, its 8-byte header
	// included: what the IP header says follows it.
	length := ipPayload(p)
	switch icmp.TypeCode.Type() {
	case layers.ICMPv4TypeEchoRequest:
		return fmt.Sprintf("ICMP echo request, id %d, seq %d, length %d", icmp.Id, icmp.Seq, length)
	case layers.ICMPv4TypeEchoReply:
		return fmt.Sprintf("ICMP echo reply, id %d, seq %d, length %d", icmp.Id, icmp.Seq, length)
	}
	return "ICMP " + icmp.TypeCode.String()
}

func describeICMPv6(p gopacket.Packet, icmp *layers.ICMPv6) string {
	switch m := icmpv6Message(p).(type) {
	case *layers.ICMPv6Echo:
		kind := "request"
		if icmp.TypeCode.Type() == layers.ICMPv6TypeEchoReply {
			kind = "reply"
		}
		return fmt.Sprintf("ICMP6 echo %s, id %d, seq %d, length %d", kind, m.Identifier, m.SeqNumber, ipPayload(p))
	case *layers.ICMPv6NeighborSolicitation:
		return fmt.Sprintf("ICMP6 neighbor solicitation, who has %s%s", m.TargetAddress, linkLayerOption(m.Options, layers.ICMPv6OptSourceAddress, ", from "))
	case *layers.ICMPv6NeighborAdvertisement:
		return fmt.Sprintf("ICMP6 neighbor advertisement, %s is at%s", m.TargetAddress, linkLayerOption(m.Options, layers.ICMPv6OptTargetAddress, " "))
	case *layers.ICMPv6RouterSolicitation:
		return "ICMP6 router solicitation"
	case *layers.ICMPv6RouterAdvertisement:
		return fmt.Sprintf("ICMP6 router advertisement, lifetime %ds", m.RouterLifetime)
	}
	switch icmp.TypeCode.Type() {
	case layers.ICMPv6TypeMLDv1MulticastListenerQueryMessage:
		return "ICMP6 multicast listener query"
	case layers.ICMPv6TypeMLDv1MulticastListenerReportMessage:
		return "ICMP6 multicast listener report"
	case layers.ICMPv6TypeMLDv2MulticastListenerReportMessageV2:
		return "ICMP6 multicast listener report v2"
	}
	return "ICMP6 " + icmp.TypeCode.String()
}

func icmpv6Message(p gopacket.Packet) gopacket.Layer {
	for _, t := range []gopacket.LayerType{layers.LayerTypeICMPv6Echo, layers.LayerTypeICMPv6NeighborSolicitation,
		layers.LayerTypeICMPv6NeighborAdvertisement, layers.LayerTypeICMPv6RouterSolicitation, layers.LayerTypeICMPv6RouterAdvertisement} {
		if l := p.Layer(t); l != nil {
			return l
		}
	}
	return nil
}

func linkLayerOption(opts layers.ICMPv6Options, t layers.ICMPv6Opt, prefix string) string {
	for _, o := range opts {
		if o.Type == t && len(o.Data) >= 6 {
			return prefix + net.HardwareAddr(o.Data[:6]).String()
		}
	}
	if prefix == " " {
		return " (no link-layer address)"
	}
	return ""
}

func describeTCP(tcp *layers.TCP, length int) string {
	var f strings.Builder
	for _, fl := range []struct {
		set  bool
		mark byte
	}{{tcp.SYN, 'S'}, {tcp.FIN, 'F'}, {tcp.PSH, 'P'}, {tcp.RST, 'R'}, {tcp.URG, 'U'}, {tcp.ACK, '.'}} {
		if fl.set {
			f.WriteByte(fl.mark)
		}
	}
	s := fmt.Sprintf("TCP [%s] seq %d", f.String(), tcp.Seq)
	if tcp.ACK {
		s += fmt.Sprintf(" ack %d", tcp.Ack)
	}
	return s + fmt.Sprintf(" win %d length %d", tcp.Window, length)
}

func describeDNS(dns *layers.DNS) string {
	var qs []string
	for _, q := range dns.Questions {
		qs = append(qs, fmt.Sprintf("%s %s", q.Type, q.Name))
	}
	if !dns.QR {
		return fmt.Sprintf("DNS query id %d: %s", dns.ID, strings.Join(qs, ", "))
	}
	var as []string
	for _, a := range dns.Answers {
		as = append(as, a.String())
	}
	s := fmt.Sprintf("DNS response id %d %s: %s", dns.ID, dns.ResponseCode, strings.Join(qs, ", "))
	if len(as) > 0 {
		s += " -> " + strings.Join(as, ", ")
	}
	return s
}

func describeDHCPv4(d *layers.DHCPv4) string {
	kind := d.Operation.String()
	for _, o := range d.Options {
		if o.Type == layers.DHCPOptMessageType && len(o.Data) == 1 {
			kind = layers.DHCPMsgType(o.Data[0]).String()
		}
	}
	s := fmt.Sprintf("DHCP %s xid %#x client %s", kind, d.Xid, d.ClientHWAddr)
	if !d.YourClientIP.IsUnspecified() && d.YourClientIP != nil {
		s += " your " + d.YourClientIP.String()
	}
	return s
}
