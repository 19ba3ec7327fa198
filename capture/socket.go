package capture

import (
	"encoding/binary"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/gopacket/gopacket"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/closer"
)

// snapLength is how much of each frame a capture takes, as libpcap's
// default: a packet socket on a veth hands over TSO frames of up to 64 KiB
// and more.
const snapLength = 262144

// packetSocket is an AF_PACKET socket bound to one interface, read through
// the Go runtime's poller so that closing it ends a blocked read.
//
// It is made here rather than by pcapgo.NewEthernetHandle, which opens the
// socket for all protocols and binds it to the interface afterwards: the
// kernel then unhooks the socket's first receive handler and waits for an
// RCU grace period (about 10 ms here) on every capture's start. A socket
// made for no protocol receives nothing until bind hooks it up, at no such
// cost.
type packetSocket struct {
	file *os.File
	raw  syscall.RawConn
	buf  []byte
	oob  []byte
}

// openPacketSocket opens a packet socket in the calling thread's network
// namespace and binds it to the interface of that name there. raw says
// whether the interface hands over IP packets rather than Ethernet frames
// (tun devices, IP tunnels). The socket itself tells the interface's index
// and type, which spares a netlink socket and a link dump.
func openPacketSocket(ifname string) (s *packetSocket, raw bool, err error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, false, os.NewSyscallError("socket(AF_PACKET)", err)
	}
	index, hwType, err := interfaceOf(fd, ifname)
	if err == nil {
		err = os.NewSyscallError("setsockopt(SO_TIMESTAMPNS)", unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1))
	}
	if err == nil {
		err = os.NewSyscallError("bind(AF_PACKET)", unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: index}))
	}
	if err != nil {
		unix.Close(fd)
		return nil, false, err
	}
	f := os.NewFile(uintptr(fd), "packet socket")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, false, err
	}
	s = &packetSocket{file: f, raw: rc, buf: make([]byte, snapLength), oob: make([]byte, unix.CmsgSpace(16))}
	return s, hwType != unix.ARPHRD_ETHER && hwType != unix.ARPHRD_LOOPBACK, nil
}

// interfaceOf returns the index and hardware type (ARPHRD_*) of the
// interface ifname in the namespace of the socket fd.
func interfaceOf(fd int, ifname string) (index int, hwType uint16, err error) {
	ifr, err := unix.NewIfreq(ifname)
	if err != nil {
		return 0, 0, fmt.Errorf("interface name %q: %w", ifname, err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
		return 0, 0, fmt.Errorf("cannot find interface %q: %w", ifname, err)
	}
	index = int(ifr.Uint32())
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFHWADDR, ifr); err != nil {
		return 0, 0, fmt.Errorf("cannot tell the type of interface %q: %w", ifname, err)
	}
	// The hardware address is a sockaddr whose family is the type.
	return index, ifr.Uint16(), nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// read waits for the next frame and returns a copy of it. A closed socket
// returns os.ErrClosed (wrapped), a woken one os.ErrDeadlineExceeded;
// errors of the socket itself, such as ENETDOWN when its interface goes
// away, come as they are.
func (s *packetSocket) read() (gopacket.CaptureInfo, []byte, error) {
	var ci gopacket.CaptureInfo
	var data []byte
	var rerr error
	err := s.raw.Read(func(fd uintptr) bool {
		ci, data, rerr = s.recv(int(fd))
		return rerr != unix.EAGAIN
	})
	if err == nil {
		err = rerr
	}
	return ci, data, err
}

// readQueued returns the next frame the kernel has queued for the socket,
// without waiting: unix.EAGAIN when there is none.
func (s *packetSocket) readQueued() (gopacket.CaptureInfo, []byte, error) {
	var ci gopacket.CaptureInfo
	var data []byte
	var rerr error
	if err := s.raw.Control(func(fd uintptr) { ci, data, rerr = s.recv(int(fd)) }); err != nil {
		return ci, nil, err
	}
	return ci, data, rerr
}

// recv takes one frame from the non-blocking socket fd.
func (s *packetSocket) recv(fd int) (gopacket.CaptureInfo, []byte, error) {
	// MSG_TRUNC: n is the frame's length even when it was cut.
	n, oobn, _, _, err := unix.Recvmsg(fd, s.buf, s.oob, unix.MSG_TRUNC)
	if err != nil {
		return gopacket.CaptureInfo{}, nil, err
	}
	ts := time.Now()
	if msgs, err := unix.ParseSocketControlMessage(s.oob[:oobn]); err == nil {
		for _, m := range msgs {
			if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SO_TIMESTAMPNS && len(m.Data) >= 16 {
				ts = time.Unix(int64(binary.NativeEndian.Uint64(m.Data[0:8])), int64(binary.NativeEndian.Uint64(m.Data[8:16])))
			}
		}
	}
	capLen := min(n, len(s.buf))
	data := make([]byte, capLen)
	copy(data, s.buf)
	return gopacket.CaptureInfo{Timestamp: ts, CaptureLength: capLen, Length: n}, data, nil
}

// detach has the kernel queue no more frames for the socket, with a filter
// that takes none. Unbinding it instead (or closing it) would wait for an
// RCU grace period; swapping a filter does not.
func (s *packetSocket) detach() error {
	none := unix.SockFprog{Len: 1, Filter: &unix.SockFilter{Code: unix.BPF_RET | unix.BPF_K, K: 0}}
	var err error
	if cerr := s.raw.Control(func(fd uintptr) {
		err = unix.SetsockoptSockFprog(int(fd), unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &none)
	}); cerr != nil {
		return cerr
	}
	return os.NewSyscallError("setsockopt(SO_ATTACH_FILTER)", err)
}

// wake ends a read that waits, and every later one, with
// os.ErrDeadlineExceeded.
func (s *packetSocket) wake() error { return s.file.SetReadDeadline(time.Now()) }

// stats returns the packets the kernel queued for the socket and those it
// dropped since the last call (the kernel resets its counters on read).
func (s *packetSocket) stats() (queued, dropped uint64, err error) {
	var st *unix.TpacketStats
	cerr := s.raw.Control(func(fd uintptr) {
		st, err = unix.GetsockoptTpacketStats(int(fd), unix.SOL_PACKET, unix.PACKET_STATISTICS)
	})
	if cerr != nil {
		return 0, 0, cerr
	}
	if err != nil {
		return 0, 0, err
	}
	// Dropped packets are counted among the received ones.
	return uint64(st.Packets) - uint64(st.Drops), uint64(st.Drops), nil
}

// closeLater closes the socket in the background (see package closer): the
// close waits for an RCU grace period, which nothing needs to wait for.
func (s *packetSocket) closeLater() { closer.Close(s.file) }
