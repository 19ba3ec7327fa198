package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
)

// These specs cover the runner's own logic. They need neither root, qemu
// nor the network, so they run in plain `make test`.
func TestVM(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "test/vm runner")
}

var _ = guard.Suite()

// cpioEntry is one entry read back from a newc archive.
type cpioEntry struct {
	Name         string
	Mode         uint32
	Data         string
	RMajor, RMin uint32
}

// readCPIO is an independent reader of the newc format, so the writer is
// checked against the format rather than against itself.
func readCPIO(data []byte) ([]cpioEntry, error) {
	var out []cpioEntry
	off := 0
	align := func() { off = (off + 3) &^ 3 }
	for {
		if off+110 > len(data) {
			return nil, fmt.Errorf("truncated header at %d", off)
		}
		h := string(data[off : off+110])
		if h[:6] != cpioMagic {
			return nil, fmt.Errorf("bad magic %q at %d", h[:6], off)
		}
		field := func(i int) uint32 {
			v, err := strconv.ParseUint(h[6+8*i:14+8*i], 16, 32)
			Expect(err).NotTo(HaveOccurred())
			return uint32(v)
		}
		mode, size, rmaj, rmin, nameSize := field(1), field(6), field(9), field(10), field(11)
		off += 110
		name := string(data[off : off+int(nameSize)-1])
		if data[off+int(nameSize)-1] != 0 {
			return nil, fmt.Errorf("name %q not NUL-terminated", name)
		}
		off += int(nameSize)
		align()
		if name == cpioTrailer {
			return out, nil
		}
		content := string(data[off : off+int(size)])
		off += int(size)
		align()
		out = append(out, cpioEntry{Name: name, Mode: mode, Data: content, RMajor: rmaj, RMin: rmin})
	}
}

func readGzipCPIO(path string) []cpioEntry {
	f, err := os.Open(path)
	Expect(err).NotTo(HaveOccurred())
	defer f.Close()
	zr, err := gzip.NewReader(f)
	Expect(err).NotTo(HaveOccurred())
	raw, err := io.ReadAll(zr)
	Expect(err).NotTo(HaveOccurred())
	entries, err := readCPIO(raw)
	Expect(err).NotTo(HaveOccurred())
	return entries
}

func writeFile(path, content string) {
	Expect(os.MkdirAll(filepath.Dir(path), 0o755)).To(Succeed())
	Expect(os.WriteFile(path, []byte(content), 0o644)).To(Succeed())
}

func readTestdata(name string) string {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	Expect(err).NotTo(HaveOccurred())
	return string(b)
}

// feed parses text as the console output of one suite run by pkg in the
// root pass.
func feed(pkg, text string) *suiteResult {
	r := &bootResult{}
	r.Line(markerPrefix + " begin root " + pkg)
	for _, l := range bytes.Split([]byte(text), []byte("\n")) {
		r.Line(string(l))
	}
	return r.suite("root", pkg)
}
