package sandbox

import (
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// relayEnv tells the child where to relay connections to the Ginkgo server:
// "<tcp address>|<unix socket path>".
const relayEnv = "SCRATCHNET_SANDBOX_RELAY"

// relay is the parent's half of the bridge to the Ginkgo server of a
// "ginkgo -p" run. The server listens on the real host's loopback, which a
// child in its own network namespace cannot reach; a Unix socket in the file
// system can be reached from any network namespace, so the child accepts on
// its own loopback at the server's address and forwards to the socket, and
// the parent forwards from the socket to the server.
type relay struct {
	dir string
	ln  net.Listener
	wg  sync.WaitGroup
}

// startRelay starts the parent's half when the arguments name a Ginkgo
// server, and tells cmd about it; otherwise it does nothing.
func startRelay(cmd *exec.Cmd) (*relay, error) {
	addr := ginkgoServer(os.Args[1:])
	if addr == "" {
		return &relay{}, nil
	}
	dir, err := os.MkdirTemp("", "scratchnet-sandbox-")
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "ginkgo.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	r := &relay{dir: dir, ln: ln}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		forwardAll(ln, "tcp", addr)
	}()
	cmd.Env = append(cmd.Env, relayEnv+"="+addr+"|"+path)
	return r, nil
}

func (r *relay) close() {
	if r.ln == nil {
		return
	}
	r.ln.Close()
	r.wg.Wait()
	os.RemoveAll(r.dir)
}

// serveRelay starts the child's half, if the parent started one.
func serveRelay() error {
	addr, path, ok := strings.Cut(os.Getenv(relayEnv), "|")
	if !ok {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	go forwardAll(ln, "unix", path)
	return nil
}

// forwardAll forwards every connection accepted on ln to a new connection
// to the target, until ln is closed.
func forwardAll(ln net.Listener, network, target string) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go forward(c, network, target)
	}
}

func forward(c net.Conn, network, target string) {
	defer c.Close()
	t, err := net.Dial(network, target)
	if err != nil {
		return
	}
	defer t.Close()
	done := make(chan struct{})
	go func() {
		io.Copy(t, c)
		closeWrite(t)
		close(done)
	}()
	io.Copy(c, t)
	closeWrite(c)
	<-done
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
}

// ginkgoServer returns the host:port of the Ginkgo server named by a
// -ginkgo.parallel.host flag, or "".
func ginkgoServer(args []string) string {
	for i, a := range args {
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name != "ginkgo.parallel.host" {
			continue
		}
		if !hasValue && i+1 < len(args) {
			value = args[i+1]
		}
		// The RPC protocol (Ginkgo's default) passes host:port, the HTTP
		// protocol a URL.
		if u, err := url.Parse(value); err == nil && u.Host != "" {
			return u.Host
		}
		if _, _, err := net.SplitHostPort(value); err == nil {
			return value
		}
	}
	return ""
}
