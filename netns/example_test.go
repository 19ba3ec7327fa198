package netns_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/netns"
)

// A spec runs its code in a namespace of its own, and talks netlink to
// another one; everything is gone when the spec ends.
func Example() {
	It("serves on loopback in a namespace of its own", func() {
		defer netns.EnterTransient()()              // this goroutine's thread is now in a fresh namespace
		ln, err := net.Listen("tcp", "127.0.0.1:0") // lo is already up
		Expect(err).NotTo(HaveOccurred())
		Expect(ln.Close()).To(Succeed())
	})

	It("looks into a namespace without entering it", func() {
		server := netns.NewTransient(netns.WithName("server")) // closed when the spec ends
		links, err := netns.NewNetlinkHandle(server).LinkList()
		Expect(err).NotTo(HaveOccurred())
		Expect(links).To(HaveLen(1)) // lo
	})
}

// Execute runs code on the calling goroutine inside the namespace, and
// switches back afterwards.
func ExampleExecute() {
	It("runs code under test inside a namespace", func() {
		fd := netns.NewTransient()
		netns.Execute(fd, func() {
			Expect(netns.CurrentIno()).To(Equal(netns.Ino(fd)))
		})
	})
}

// Plain go test users call the siblings ending in T; cleanup goes through
// t.Cleanup.
func ExampleNewTransientT() {
	_ = func(t *testing.T) {
		left := netns.NewTransientT(t, netns.WithName("left"))
		netns.ExecuteT(t, left, func() {
			// code under test runs in "left" here
		})
	}
}

// Ino identifies a namespace by an fd or a path; the process's namespace,
// as /proc/self names it, is the calling thread's unless that thread entered
// another one.
func ExampleIno() {
	fmt.Println(netns.Ino("/proc/self/ns/net") == netns.CurrentIno())
	// Output: true
}

// A CNI plugin takes the namespace it configures as a path, CNI_NETNS, and
// its network configuration on stdin; Path gives that path, valid until the
// spec's cleanup. The plugin runs in another namespace, the node's, as under
// a container runtime: it makes the bridge cni0 there and a veth pair from
// it to eth0 in the container's.
func ExamplePath() {
	It("attaches a container namespace with the bridge plugin", func() {
		node, container := netns.NewTransient(netns.WithName("node")), netns.NewTransient(netns.WithName("container"))
		plugin := exec.Command("/opt/cni/bin/bridge")
		plugin.Env = append(os.Environ(),
			"CNI_COMMAND=ADD",
			"CNI_CONTAINERID=spec-1",
			"CNI_NETNS="+netns.Path(container),
			"CNI_IFNAME=eth0",
			"CNI_PATH=/opt/cni/bin")
		plugin.Stdin = strings.NewReader(`{"cniVersion": "1.0.0", "name": "test", "type": "bridge",
			"bridge": "cni0", "isGateway": true,
			"ipam": {"type": "host-local", "subnet": "10.22.0.0/24", "dataDir": "` + GinkgoT().TempDir() + `"}}`)
		result := netns.Output(node, plugin) // fails the spec, with the plugin's output, on an error
		Expect(result).To(ContainSubstring(`"address": "10.22.0.2/24"`))
	})
}

// A Go function registered at package level runs as a process of its own
// in a namespace: every goroutine it starts, here those of net/http, and
// every socket they open, live there.
func ExampleStartFunc() {
	// At package level of the test package:
	//
	//	var _ = netns.RegisterFunc("hello-server", func(args []string) int {
	//		err := http.ListenAndServe(args[0], http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	//			fmt.Fprintln(w, "hello")
	//		}))
	//		fmt.Fprintln(os.Stderr, err)
	//		return 1
	//	})
	It("serves HTTP from a Go function in a namespace", func() {
		fd := netns.NewTransient()
		server := netns.StartFunc(fd, "hello-server", []string{"127.0.0.1:8080"})
		server.WaitListening("tcp", 8080) // stopped with SIGTERM at the end of the spec
		netns.Execute(fd, func() {
			conn, err := net.Dial("tcp", "127.0.0.1:8080")
			Expect(err).NotTo(HaveOccurred())
			defer conn.Close()
		})
	})
}

// FuncCommand returns the command that runs a registered function, for Run,
// Output and the fields of exec.Cmd; the function's status is the process's.
func ExampleFuncCommand() {
	It("runs a Go function to completion in a namespace", func() {
		fd := netns.NewTransient()
		cmd := netns.FuncCommand("args", "one", "two")
		p := netns.Start(fd, cmd)
		Expect(p.Wait()).To(Equal(2)) // the function returns len(args)
		Expect(p.Stdout()).To(ContainSubstring(`["one" "two"]`))
	})
}

// A TestMain that does work before m.Run would do it in every function
// process too: FuncMain runs the function first, and returns at once in the
// test binary itself. sandbox.Main does the same first thing.
func ExampleFuncMain() {
	_ = func(m *testing.M) { // func TestMain(m *testing.M)
		netns.FuncMain()
		// set up what the tests need, then:
		os.Exit(m.Run())
	}
}
