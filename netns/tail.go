package netns

import "sync"

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
