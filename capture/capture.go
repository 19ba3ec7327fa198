package capture

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	. "github.com/onsi/ginkgo/v2"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/internal/scope"
	"github.com/scratchnet/scratchnet/link"
)

// Defaults of the options.
const (
	// DefaultMaxFileSize is the size of a capture file beyond which no
	// packet is written to it (see [WithMaxFileSize]).
	DefaultMaxFileSize = 8 << 20
	// DefaultLastPackets is how many packets a report shows per captured
	// interface (see [WithLastPackets]).
	DefaultLastPackets = 20
)

// kept is how much of each of the last packets a capture keeps for its
// report: enough for every header it decodes and a DNS message.
const kept = 1024

// statsReserve is the room a capture file keeps at its size limit for the
// interface statistics block that ends it.
const statsReserve = 128

// syncTimeout bounds how long a report or a stop waits for the reader to
// take the packets the kernel has queued for it.
const syncTimeout = time.Second

// Capture records the packets of one interface into a pcapng file and
// keeps its last packets for failure reports. It stops at the cleanup of
// the test node that started it, or earlier with [Capture.Stop].
type Capture struct {
	name    string
	ifname  string
	ino     uint64
	path    string
	session *session
	opts    options
	raw     bool

	socket   *packetSocket
	closing  atomic.Bool
	done     chan struct{}
	release  func()
	stopOnce sync.Once

	mu         sync.Mutex
	file       *lazyFile
	writer     *pcapgo.NgWriter
	size       int64
	started    time.Time
	read       uint64
	written    uint64
	notWritten uint64
	queued     uint64
	dropped    uint64
	full       bool
	readErr    error
	stopped    bool
	last       []packet
	next       int
}

// packet is the start of one of the last packets, for the report.
type packet struct {
	ts     time.Time
	data   []byte
	length int
}

// Opt configures a capture; options are applied in order.
type Opt func(*options) error

type options struct {
	name        string
	maxFileSize int64
	lastPackets int
}

// WithName says what the namespace is, such as "host alice": the capture
// file is named after it and its metadata name it. Without it the namespace
// is named by its inode number.
func WithName(name string) Opt {
	return func(o *options) error {
		if name == "" {
			return errors.New(`WithName(""): the name is empty`)
		}
		o.name = name
		return nil
	}
}

// WithMaxFileSize caps the capture file at bytes: once the next packet
// would not fit, no more packets are written to it (the report says how
// many were not), while the report's last packets keep following the
// traffic. The default is [DefaultMaxFileSize].
func WithMaxFileSize(bytes int64) Opt {
	return func(o *options) error {
		if bytes < 1024 {
			return fmt.Errorf("WithMaxFileSize(%d): %d bytes is less than the minimum of 1024", bytes, bytes)
		}
		o.maxFileSize = bytes
		return nil
	}
}

// WithLastPackets sets how many of the interface's last packets the report
// shows, decoded, one line each. The default is [DefaultLastPackets].
func WithLastPackets(n int) Opt {
	return func(o *options) error {
		if n < 1 || n > 1000 {
			return fmt.Errorf("WithLastPackets(%d): %d is not between 1 and 1000", n, n)
		}
		o.lastPackets = n
		return nil
	}
}

// Start captures every packet the interface ifname of the network namespace
// nsFd refers to sends or receives, from now until the cleanup of the
// current node (or [Capture.Stop]). The packets go to a pcapng file in a
// temporary directory of the test, which is removed when the test passes
// and kept when it fails (moved to $SCRATCHNET_CAPTURE_DIR when that is
// set); the failure report names the file and decodes the last packets.
// nsFd stays owned by the caller and needs to be open only during the
// call: the capture's socket keeps the namespace alive until it stops.
func Start(nsFd int, ifname string, opts ...Opt) *Capture {
	GinkgoHelper()
	return StartT(GinkgoTB(), nsFd, ifname, opts...)
}

// StartT is [Start] for plain testing users; the capture stops through
// t.Cleanup.
func StartT(t testing.TB, nsFd int, ifname string, opts ...Opt) *Capture {
	t.Helper()
	o := options{maxFileSize: DefaultMaxFileSize, lastPackets: DefaultLastPackets}
	for i, opt := range opts {
		if opt == nil {
			t.Fatalf("cannot capture interface %q, reason: option %d is nil", ifname, i+1)
		}
		if err := opt(&o); err != nil {
			t.Fatalf("cannot capture interface %q, reason: %v", ifname, err)
		}
	}
	c, err := start(t, nsFd, ifname, o)
	if err != nil {
		t.Fatalf("cannot capture interface %q in %s, reason: %v", ifname, nsops.Describe(nsFd), err)
	}
	return c
}

// Link captures the existing link l where it lives, as link.Locate
// resolves it: its link.Link wrapper's LinkNamespace (see
// link.WrapWithLinkNamespace), its LinkAttrs.Namespace (a netlink.NsFd, as
// the link helpers return it), or else the calling thread's namespace, where
// its Index must belong to a link of its Name; see [Start].
func Link(l netlink.Link, opts ...Opt) *Capture {
	GinkgoHelper()
	return LinkT(GinkgoTB(), l, opts...)
}

// LinkT is [Link] for plain testing users.
func LinkT(t testing.TB, l netlink.Link, opts ...Opt) *Capture {
	t.Helper()
	if l == nil || reflect.ValueOf(l).IsNil() || l.Attrs() == nil {
		t.Fatalf("cannot capture link, reason: the link is nil")
	}
	fd, found, err := link.Locate(l)
	if err != nil {
		t.Fatalf("cannot capture link %q (index %d), reason: %v", l.Attrs().Name, l.Attrs().Index, err)
	}
	defer unix.Close(fd)
	return StartT(t, fd, found.Attrs().Name, opts...)
}

func start(t testing.TB, nsFd int, ifname string, o options) (*Capture, error) {
	ino, err := nsops.Ino(nsFd)
	if err != nil {
		return nil, err
	}
	if o.name == "" {
		o.name = fmt.Sprintf("net-%d", ino)
	}
	c := &Capture{name: o.name, ifname: ifname, ino: ino, opts: o, done: make(chan struct{})}
	var openErr error
	err = nsops.Run(nsFd, func() {
		// The socket is made in the namespace of this thread and keeps it,
		// whatever thread reads it later.
		c.socket, c.raw, openErr = openPacketSocket(ifname)
	})
	if err == nil {
		err = openErr
	}
	if err != nil {
		return nil, err
	}
	sc := scope.Of(t)
	c.session = sessionOf(t, sc)
	if err := c.openFile(); err != nil {
		c.socket.closeLater()
		return nil, err
	}
	c.release = scope.Hold(sc, ino)
	c.session.add(c)
	go c.readAll()
	return c, nil
}

func (c *Capture) openFile() error {
	f := &lazyFile{session: c.session, path: c.session.newFile(c.name + "-" + c.ifname + ".pcapng")}
	linkType := layers.LinkTypeEthernet
	if c.raw {
		linkType = layers.LinkTypeRaw
	}
	where := fmt.Sprintf("%s, network namespace net:[%d]", c.name, c.ino)
	w, err := pcapgo.NewNgWriterInterface(f, pcapgo.NgInterface{
		Name:                c.ifname,
		Description:         where,
		OS:                  runtime.GOOS,
		LinkType:            linkType,
		SnapLength:          snapLength,
		TimestampResolution: 9,
	}, pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{
		Hardware:    runtime.GOARCH,
		OS:          runtime.GOOS,
		Application: "scratchnet capture",
		Comment:     fmt.Sprintf("interface %s of %s", c.ifname, where),
	}})
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		return err
	}
	c.path, c.file, c.writer, c.size, c.started = f.path, f, w, f.n, time.Now()
	return nil
}

// readAll takes packets from the socket until the capture stops.
func (c *Capture) readAll() {
	defer close(c.done)
	for failures := 0; failures < 100; {
		ci, data, err := c.socket.read()
		if err != nil && c.closing.Load() {
			// Stop takes what is still queued.
			return
		}
		if err != nil {
			// The kernel reports a vanished interface once (ENETDOWN);
			// the socket then simply stays silent.
			failures++
			c.mu.Lock()
			c.readErr = err
			c.mu.Unlock()
			continue
		}
		failures = 0
		c.record(ci, data)
	}
}

func (c *Capture) record(ci gopacket.CaptureInfo, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.read++
	start := data
	if len(start) > kept {
		// A copy, so that the large frame itself is not kept alive.
		start = bytes.Clone(data[:kept])
	}
	p := packet{ts: ci.Timestamp, data: start, length: ci.Length}
	if len(c.last) < c.opts.lastPackets {
		c.last = append(c.last, p)
	} else {
		c.last[c.next] = p
		c.next = (c.next + 1) % len(c.last)
	}
	// An enhanced packet block: 28 bytes of header, the data padded to
	// 4 bytes, and the 4-byte trailing length.
	block := int64(32 + (len(data)+3)&^3)
	if c.full || c.size+block+statsReserve > c.opts.maxFileSize {
		c.full = true
		c.notWritten++
		return
	}
	// The file has one interface, id 0; the reader reports the kernel's
	// interface index.
	ci.InterfaceIndex = 0
	if err := c.writer.WritePacket(ci, data); err != nil {
		c.full = true
		c.notWritten++
		c.readErr = fmt.Errorf("cannot write %s, reason: %w", c.path, err)
		return
	}
	c.size += block
	c.written++
}

// sync waits until the reader has taken every packet the kernel queued for
// it before the call, for at most syncTimeout.
func (c *Capture) sync() {
	queued, dropped, err := c.socket.stats()
	if err != nil {
		return
	}
	c.mu.Lock()
	c.queued += queued
	c.dropped += dropped
	target := c.queued
	c.mu.Unlock()
	deadline := time.Now().Add(syncTimeout)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		done := c.read >= target
		c.mu.Unlock()
		if done {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// Stop ends the capture now: the kernel queues no more packets for it, the
// packets it has queued are taken, and the file is completed with the
// interface's statistics and written. The file stays where [Capture.File]
// says until the test's cleanup keeps or removes it. Calling Stop again does
// nothing. The cleanup stops every capture of the node that is still
// running, all at once, and writes their files only if they are kept.
//
// Closing the capture's packet socket waits for an RCU grace period in the
// kernel (about 10 ms), for nothing the test needs: Stop leaves that close
// to a goroutine of its own, which ends right after it (the leak checks of
// package guard wait for it before they look for leaked fds and
// goroutines). Until then the socket keeps its namespace alive.
func (c *Capture) Stop() { c.end(true) }

// end stops the capture once; keep says whether its file must be on disk
// afterwards.
func (c *Capture) end(keep bool) { c.stopOnce.Do(func() { c.stop(keep) }) }

func (c *Capture) stop(keep bool) {
	// From here on nothing more is queued, so that the file ends with
	// exactly what came before; taking the queue then ends.
	detachErr := c.socket.detach()
	c.closing.Store(true)
	wakeErr := c.socket.wake()
	if wakeErr == nil {
		<-c.done
	}
	deadline := time.Now().Add(syncTimeout)
	for time.Now().Before(deadline) {
		ci, data, err := c.socket.readQueued()
		if err != nil {
			break
		}
		c.record(ci, data)
	}
	_, dropped, statsErr := c.socket.stats()
	c.socket.closeLater()
	if wakeErr != nil {
		// The reader ends with the closed socket.
		<-c.done
	}
	c.release()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	if statsErr == nil {
		c.dropped += dropped
	}
	if err := cmp.Or(detachErr, wakeErr); err != nil && c.readErr == nil {
		c.readErr = fmt.Errorf("cannot end the capture cleanly, reason: %w", err)
	}
	now := time.Now()
	err := c.writer.WriteInterfaceStats(0, pcapgo.NgInterfaceStatistics{
		LastUpdate:      now,
		StartTime:       c.started,
		EndTime:         now,
		PacketsReceived: c.read,
		PacketsDropped:  c.dropped + c.notWritten,
	})
	if err == nil {
		err = c.writer.Flush()
	}
	if cerr := c.file.close(keep); err == nil {
		err = cerr
	}
	if err != nil && c.readErr == nil {
		c.readErr = fmt.Errorf("cannot complete %s, reason: %w", c.path, err)
	}
}

// File returns the path of the capture file. The file is there and complete
// once the capture has stopped ([Capture.Stop]); until then it is kept in
// memory, and made only once it outgrows a megabyte.
func (c *Capture) File() string { return c.path }

// Interface returns the name of the captured interface.
func (c *Capture) Interface() string { return c.ifname }

// Lines returns the last packets of the capture, oldest first, decoded one
// per line as the report shows them. It first waits for the packets the
// kernel has queued for the capture (for at most a second).
func (c *Capture) Lines() []string {
	c.mu.Lock()
	stopped := c.stopped
	c.mu.Unlock()
	if !stopped {
		c.sync()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	lines := make([]string, 0, len(c.last))
	for i := range c.last {
		p := c.last[(c.next+i)%len(c.last)]
		lines = append(lines, line(p.ts, p.data, p.length, c.raw))
	}
	return lines
}

// summary says in one line what the capture holds and where.
func (c *Capture) summary(failed bool) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := fmt.Sprintf("%s: %d packets", c.ifname, c.read)
	if c.dropped > 0 {
		s += fmt.Sprintf(" (%d dropped by the kernel)", c.dropped)
	}
	if c.full {
		s += fmt.Sprintf(", file size limit of %d bytes reached: %d packets not written", c.opts.maxFileSize, c.notWritten)
	}
	if failed {
		s += ", kept as " + c.session.finalPath(c.path)
	} else {
		s += ", file " + c.path + " (removed when the test passes)"
	}
	if c.readErr != nil {
		s += fmt.Sprintf("; %v", c.readErr)
	}
	return s
}
