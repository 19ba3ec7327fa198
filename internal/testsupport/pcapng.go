package testsupport

import (
	"io"
	"os"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// ReadPcapng reads a capture file back: its first interface and its
// packets, decoded from Ethernet.
func ReadPcapng(path string) (pcapgo.NgInterface, []gopacket.Packet) {
	GinkgoHelper()
	f, err := os.Open(path)
	Expect(err).NotTo(HaveOccurred())
	defer f.Close()
	r, err := pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions)
	Expect(err).NotTo(HaveOccurred())
	var packets []gopacket.Packet
	for {
		data, _, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		Expect(err).NotTo(HaveOccurred())
		packets = append(packets, gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default))
	}
	intf, err := r.Interface(0)
	Expect(err).NotTo(HaveOccurred())
	return intf, packets
}

// EchoRequests returns the ICMPv4 echo requests with the given id among
// packets, by sequence number.
func EchoRequests(packets []gopacket.Packet, id uint16) []uint16 {
	var seqs []uint16
	for _, p := range packets {
		if icmp, ok := p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4); ok &&
			icmp.TypeCode.Type() == layers.ICMPv4TypeEchoRequest && icmp.Id == id {
			seqs = append(seqs, icmp.Seq)
		}
	}
	return seqs
}
