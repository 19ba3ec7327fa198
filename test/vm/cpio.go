package main

import (
	"fmt"
	"io"
	"path"
	"strings"
)

// The kernel unpacks initramfs archives only in the "newc" cpio format: a
// 110-byte ASCII header, the NUL-terminated name, and the data, each padded
// to four bytes. Writing it ourselves keeps the runner free of the cpio
// tool's quirks (ordering, owner mapping) and makes the archive testable.
const (
	cpioMagic   = "070701"
	cpioTrailer = "TRAILER!!!"

	modeDir     = 0o040000
	modeFile    = 0o100000
	modeSymlink = 0o120000
	modeCharDev = 0o020000
)

// cpioWriter writes a newc archive. It creates missing parent directories
// itself, because the kernel refuses to create a file whose directory was
// not unpacked before it.
type cpioWriter struct {
	w     io.Writer
	ino   uint32
	seen  map[string]bool
	wrote int64
	err   error
}

func newCPIOWriter(w io.Writer) *cpioWriter {
	return &cpioWriter{w: w, ino: 1, seen: map[string]bool{}}
}

// cleanName turns any spelling of an archive path into the relative form the
// kernel expects ("bin/sh", not "/bin/sh" or "./bin/sh").
func cleanName(name string) string {
	return strings.TrimPrefix(path.Clean("/"+name), "/")
}

func (c *cpioWriter) header(name string, mode uint32, size int64, rmajor, rminor uint32) {
	if c.err != nil {
		return
	}
	nlink := uint32(1)
	if mode&0o170000 == modeDir {
		nlink = 2
	}
	hdr := fmt.Sprintf("%s%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		cpioMagic, c.ino, mode, 0, 0, nlink, 0, size, 0, 0, rmajor, rminor, len(name)+1, 0)
	c.ino++
	c.write([]byte(hdr))
	c.write([]byte(name + "\x00"))
	c.pad()
}

func (c *cpioWriter) write(b []byte) {
	if c.err != nil {
		return
	}
	n, err := c.w.Write(b)
	c.wrote += int64(n)
	c.err = err
}

func (c *cpioWriter) pad() {
	if rem := c.wrote % 4; rem != 0 {
		c.write(make([]byte, 4-rem))
	}
}

func (c *cpioWriter) parents(name string) {
	dir := path.Dir(name)
	if dir == "." || dir == "/" || c.seen[dir] {
		return
	}
	c.Dir(dir, 0o755)
}

// Dir adds a directory (and its parents) once; repeated calls are no-ops.
func (c *cpioWriter) Dir(name string, perm uint32) {
	name = cleanName(name)
	if name == "" || c.seen[name] {
		return
	}
	c.parents(name)
	c.seen[name] = true
	c.header(name, modeDir|perm&0o7777, 0, 0, 0)
}

// File adds a regular file whose content comes from r and is exactly size
// bytes long.
func (c *cpioWriter) File(name string, perm uint32, size int64, r io.Reader) {
	name = cleanName(name)
	c.parents(name)
	c.seen[name] = true
	c.header(name, modeFile|perm&0o7777, size, 0, 0)
	if c.err != nil {
		return
	}
	n, err := io.CopyN(c.w, r, size)
	c.wrote += n
	if err != nil {
		c.err = fmt.Errorf("cannot copy content for %s, reason: %w", name, err)
		return
	}
	c.pad()
}

// Bytes adds a regular file with the given content.
func (c *cpioWriter) Bytes(name string, perm uint32, data []byte) {
	c.File(name, perm, int64(len(data)), strings.NewReader(string(data)))
}

// Symlink adds a symbolic link; newc stores the target as the link's data.
func (c *cpioWriter) Symlink(name, target string) {
	name = cleanName(name)
	c.parents(name)
	c.seen[name] = true
	c.header(name, modeSymlink|0o777, int64(len(target)), 0, 0)
	c.write([]byte(target))
	c.pad()
}

// CharDev adds a character device node. The kernel needs /dev/console in the
// archive to give init its standard streams before devtmpfs is mounted.
func (c *cpioWriter) CharDev(name string, perm, major, minor uint32) {
	name = cleanName(name)
	c.parents(name)
	c.seen[name] = true
	c.header(name, modeCharDev|perm&0o7777, 0, major, minor)
}

// Close writes the trailer entry; it does not close the underlying writer.
func (c *cpioWriter) Close() error {
	c.header(cpioTrailer, 0, 0, 0, 0)
	return c.err
}
