package lab_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
)

// helperEnv makes the test binary, re-executed, serve HTTP instead of
// running tests: the specs need a server that no system package provides.
const helperEnv = "SCRATCHNET_LAB_HELPER"

// httpServer returns a command that re-executes the test binary as an
// HTTP server on addr that answers every request with greeting.
func httpServer(addr, greeting string) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	cmd := exec.Command(exe, addr, greeting)
	cmd.Args[0] = "http-server"
	cmd.Env = append(os.Environ(), helperEnv+"=http")
	return cmd
}

// httpGet returns a command that re-executes the test binary as an HTTP
// client that prints the body it gets from url.
func httpGet(url string) *exec.Cmd {
	cmd := httpServer(url, "")
	cmd.Args[0] = "http-get"
	cmd.Env[len(cmd.Env)-1] = helperEnv + "=get"
	return cmd
}

func init() {
	switch os.Getenv(helperEnv) {
	case "http":
		serveHTTP()
	case "get":
		// A process, unlike a goroutine, lives entirely in the namespace
		// it starts in: net/http dials on goroutines of its own.
		resp, err := http.Get(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		io.Copy(os.Stdout, resp.Body)
		os.Exit(0)
	}
}

func serveHTTP() {
	ln, err := net.Listen("tcp", os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("serving on", ln.Addr())
	greeting := os.Args[2]
	err = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Printf("%s %s from %s\n", r.Method, r.URL.Path, r.RemoteAddr)
		fmt.Fprintln(w, greeting)
	}))
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
