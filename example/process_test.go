package example_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/lab"
)

// roleEnv makes this test binary, re-executed, act as the code under test:
// a greeting server or its client. A real suite would start its own daemon
// or tool the same way.
const roleEnv = "SCRATCHNET_EXAMPLE_ROLE"

// self returns a command that re-executes this test binary in a role.
func self(role string, args ...string) *exec.Cmd {
	exe, err := os.Executable()
	Expect(err).NotTo(HaveOccurred())
	cmd := exec.Command(exe, args...)
	cmd.Args[0] = "greeter-" + role
	cmd.Env = append(os.Environ(), roleEnv+"="+role)
	return cmd
}

func init() {
	switch os.Getenv(roleEnv) {
	case "server":
		ln, err := net.Listen("tcp", os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("ready")
		for {
			conn, err := ln.Accept()
			if err != nil {
				os.Exit(1)
			}
			name, _ := bufio.NewReader(conn).ReadString('\n')
			fmt.Printf("greeted %s", name)
			fmt.Fprintf(conn, "hello %s", name)
			conn.Close()
		}
	case "client":
		conn, err := net.Dial("tcp", os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Fprintln(conn, os.Args[2])
		answer, _ := bufio.NewReader(conn).ReadString('\n')
		fmt.Print(answer)
		os.Exit(0)
	}
}

var _ = Describe("the code under test, running inside the namespaces", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("starts a server in one host and queries it from another", func() {
		l := lab.New()
		alice, bob := l.Host("alice"), l.Host("bob")
		_, toBob := l.Connect(alice, bob)
		addr := toBob.IPv4.Addr().String() + ":4242"

		// The server runs until the spec ends: then it gets SIGTERM,
		// and SIGKILL if it lingers. WaitListening asks bob's kernel.
		server := bob.Start(self("server", addr))
		server.WaitListening("tcp", 4242)

		// Output runs a command to completion and fails the spec,
		// with the command's output, should it fail.
		Expect(alice.Output(self("client", addr, "alice"))).To(Equal("hello alice\n"))
		server.WaitOutput("greeted alice")
	})
})
