package netns

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// tailSize is how much of each output stream a process keeps.
const tailSize = 64 << 10

// tail keeps the last tailSize bytes written to it and tells waiters about
// each write.
type tail struct {
	mu      sync.Mutex
	buf     []byte
	written int64
	changed chan struct{} // closed and replaced on every write
}

func newTail() *tail { return &tail{changed: make(chan struct{})} }

func (b *tail) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.written += int64(len(p))
	if len(p) >= tailSize {
		b.buf = append(b.buf[:0], p[len(p)-tailSize:]...)
	} else {
		if over := len(b.buf) + len(p) - tailSize; over > 0 {
			b.buf = append(b.buf[:0], b.buf[over:]...)
		}
		b.buf = append(b.buf, p...)
	}
	close(b.changed)
	b.changed = make(chan struct{})
	return len(p), nil
}

// String returns the kept bytes; "" for a nil tail (output the caller took).
func (b *tail) String() string {
	if b == nil {
		return ""
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// next returns the kept bytes and a channel closed at the next write.
func (b *tail) next() (string, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf), b.changed
}

// pipe carries one output stream of a process into its tail. The child
// writes into a pipe of the library's own, and a goroutine copies what it
// can read into the tail. Unlike the copy os/exec makes, this one can be
// brought up to date at any moment ([pipe.drain]): everything a process wrote
// before it ended is in the pipe by then, so a drain after its end keeps all
// of it.
type pipe struct {
	keep *tail
	r, w *os.File
	// mu is held from each read of the pipe until what it returned is
	// kept, so that a drain never overtakes bytes the copying goroutine
	// has read but not yet kept.
	mu sync.Mutex
	// closing is set by close: the copying then stops even while writers
	// that escaped the process group keep the pipe from ever running dry.
	closing atomic.Bool
	done    chan struct{} // closed once the copying has ended
}

func newPipe(keep *tail) (*pipe, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("cannot make a pipe for the output, reason: %w", err)
	}
	return &pipe{keep: keep, r: r, w: w, done: make(chan struct{})}, nil
}

// copy keeps what the pipe yields until its end of file or until
// [pipe.close].
func (p *pipe) copy() {
	defer close(p.done)
	rc, err := p.r.SyscallConn()
	if err != nil {
		return
	}
	buf := make([]byte, 32<<10)
	// The runtime's poller wakes the read only on new data, so each
	// wake-up reads until the pipe is empty.
	_ = rc.Read(func(fd uintptr) bool {
		for !p.closing.Load() {
			p.mu.Lock()
			n, eof := p.readOnce(int(fd), buf)
			p.mu.Unlock()
			if eof {
				return true
			}
			if n == 0 {
				return false
			}
		}
		return true
	})
}

// readOnce reads once from the pipe and keeps what it read; it reports the
// end of file, or an error other than an empty pipe, as eof. The caller
// holds mu.
func (p *pipe) readOnce(fd int, buf []byte) (n int, eof bool) {
	for {
		n, err := unix.Read(fd, buf)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return 0, false
		case err != nil || n == 0:
			return 0, true
		}
		_, _ = p.keep.Write(buf[:n])
		return n, false
	}
}

// drain keeps what is in the pipe now, and what the copying goroutine has
// read but not yet kept. It reads no more than was in the pipe when it
// began: whatever keeps writing into the pipe cannot hold it up.
func (p *pipe) drain() {
	rc, err := p.r.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		p.mu.Lock()
		defer p.mu.Unlock()
		left, err := unix.IoctlGetInt(int(fd), unix.TIOCINQ) // FIONREAD: bytes in the pipe
		if err != nil {
			return
		}
		buf := make([]byte, 32<<10)
		for left > 0 {
			n, eof := p.readOnce(int(fd), buf[:min(len(buf), left)])
			if eof || n == 0 {
				return
			}
			left -= n
		}
	})
}

// close keeps what is in the pipe now, then ends the copying and closes the
// read end, however fast anything still writes into the pipe.
func (p *pipe) close() {
	p.closing.Store(true)
	p.drain()
	_ = p.r.Close()
	<-p.done
}
