package testsupport

import (
	"net"
	"net/netip"
	"strings"

	"golang.org/x/net/dns/dnsmessage"
)

// ServeDNS answers the DNS queries that arrive on pc, until pc is closed:
// an A or AAAA query for a name of answers (written without the trailing
// dot, in any case) with its address if that is of the query's type, every
// other query with no answer. It sends the address of each query's sender
// on from, when from is not nil and has room. Specs run it on a goroutine of its own.
func ServeDNS(pc net.PacketConn, answers map[string]netip.Addr, from chan<- string) {
	buf := make([]byte, 512)
	for {
		n, peer, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		var p dnsmessage.Parser
		hdr, err := p.Start(buf[:n])
		if err != nil {
			continue
		}
		q, err := p.Question()
		if err != nil {
			continue
		}
		select {
		case from <- peer.String():
		default:
		}
		b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: hdr.ID, Response: true, Authoritative: true, RecursionDesired: hdr.RecursionDesired})
		_ = b.StartQuestions()
		_ = b.Question(q)
		_ = b.StartAnswers()
		rh := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}
		addr, ok := answers[strings.ToLower(strings.TrimSuffix(q.Name.String(), "."))]
		switch {
		case ok && q.Type == dnsmessage.TypeA && addr.Is4():
			_ = b.AResource(rh, dnsmessage.AResource{A: addr.As4()})
		case ok && q.Type == dnsmessage.TypeAAAA && addr.Is6():
			_ = b.AAAAResource(rh, dnsmessage.AAAAResource{AAAA: addr.As16()})
		}
		if answer, err := b.Finish(); err == nil {
			_, _ = pc.WriteTo(answer, peer)
		}
	}
}
