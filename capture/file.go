package capture

import (
	"bytes"
	"os"
)

// inMemory is how much of a capture file is kept in memory before the file
// is made. Most tests capture a few packets and pass, and their files, which
// are removed at once, then never touch the disk: making, writing and
// removing them cost more than the rest of a small lab's captures.
const inMemory = 1 << 20

// lazyFile is a capture file that is made only once it outgrows inMemory, or
// when it is completed for someone to read.
type lazyFile struct {
	session *session
	path    string
	buf     bytes.Buffer
	f       *os.File
	n       int64 // bytes written so far
}

func (w *lazyFile) Write(p []byte) (int, error) {
	if w.f == nil && w.buf.Len()+len(p) > inMemory {
		if err := w.make(); err != nil {
			return 0, err
		}
	}
	if w.f == nil {
		w.buf.Write(p)
		w.n += int64(len(p))
		return len(p), nil
	}
	n, err := w.f.Write(p)
	w.n += int64(n)
	return n, err
}

// make creates the file, with what was kept in memory so far.
func (w *lazyFile) make() error {
	if err := w.session.makeDir(); err != nil {
		return err
	}
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(w.buf.Bytes()); err != nil {
		f.Close()
		return err
	}
	w.buf = bytes.Buffer{}
	w.f = f
	return nil
}

// close ends the file: with keep, it is on disk when close returns;
// without, a file still in memory is dropped and never made.
func (w *lazyFile) close(keep bool) error {
	if w.f == nil {
		if !keep {
			w.buf = bytes.Buffer{}
			return nil
		}
		if err := w.make(); err != nil {
			return err
		}
	}
	return w.f.Close()
}
