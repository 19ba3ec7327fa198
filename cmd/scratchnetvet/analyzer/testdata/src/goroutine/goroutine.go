package goroutine

import (
	"net"
	"net/http"

	"github.com/scratchnet/scratchnet/lab"
	"github.com/scratchnet/scratchnet/mntns"
	"github.com/scratchnet/scratchnet/netns"
	nwnetns "github.com/thediveo/notwork/netns"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func dialsInGoroutine(fd int) {
	netns.Execute(fd, func() {
		go func() { // want `goroutine started inside the function passed to netns.Execute uses the network \(net.Dial at goroutine.go:18\), but runs on another OS thread, in the process's network namespace: open its sockets in the namespace beforehand \(netns.Listen, .*wrap the work in netns.Do inside the goroutine, or run code that starts goroutines of its own as a Go function process \(see docs/testing-go-code.md\)`
			_, _ = net.Dial("tcp", "127.0.0.1:80")
		}()
	})
}

func servesInGoroutine(fd int) {
	nwnetns.Execute(fd, func() {
		go http.ListenAndServe(":8080", nil) // want `goroutine started inside the function passed to netns.Execute uses the network \(http.ListenAndServe at`
	})
}

func listsLinksInNamedFunc(fd int) {
	netns.Execute(fd, func() {
		go listLinks() // want `uses the network \(netlink.LinkList at goroutine.go:\d+\)`
	})
}

func listLinks() { _, _ = netlink.LinkList() }

func opensSocketTwoCallsDown(fd int) {
	netns.Execute(fd, spawn)
}

func spawn() {
	go func() { // want `uses the network \(unix.Socket at`
		helper()
	}()
}

func helper() { _, _ = unix.Socket(1, 2, 0) }

func onLabHost(h *lab.Host) {
	h.Execute(func() {
		go func() { // want `goroutine started inside the function passed to a lab host's Execute uses the network \(\(&net.Dialer\{\}\).Dial at .*wrap the work in a lab host's Do inside the goroutine`
			_, _ = (&net.Dialer{}).Dial("tcp", "10.0.0.1:80")
		}()
	})
}

func withSysfs(fd int) {
	mntns.ExecuteWithSysfs(fd, func() {
		go func() { _, _ = net.Interfaces() }() // want `passed to mntns.ExecuteWithSysfs uses the network \(net.Interfaces at .*wrap the work in mntns.ExecuteWithSysfs inside`
	})
}

func inCallbackRunner(fd int, h *lab.Host) {
	_ = netns.Do(fd, func() error {
		go func() { // want `goroutine started inside the function passed to netns.Do uses the network \(net.Listen at .*wrap the work in netns.Do inside`
			_, _ = net.Listen("tcp", ":0")
		}()
		return nil
	})
	_ = h.Do(func() error {
		go func() { _, _ = net.Dial("udp", "10.0.0.1:53") }() // want `passed to a lab host's Do uses the network \(net.Dial at .*wrap the work in a lab host's Do inside`
		return nil
	})
}

func afterEnter() {
	defer netns.EnterTransient()()
	if true {
		go func() { // want `goroutine started after defer netns.EnterTransient\(\)\(\) uses the network \(net.Listen at`
			_, _ = net.Listen("tcp", ":0")
		}()
	}
}

func harmless(fd int, h *netlink.Handle, h2 *lab.Host) {
	netns.Execute(fd, func() {
		ln, _ := net.Listen("tcp", ":0")
		// Using a socket opened in the namespace is fine from any thread,
		go func() { _, _ = ln.Accept() }()
		// as is a handle bound to a namespace,
		go func() { _, _ = h.LinkList() }()
		// and work the goroutine does in the namespace itself.
		go func() {
			netns.Execute(fd, func() { _, _ = net.Dial("tcp", "127.0.0.1:80") })
		}()
		// as is a library's work that a callback runner puts there,
		go func() {
			_ = netns.Do(fd, func() error { _, err := net.Dial("tcp", "127.0.0.1:80"); return err })
		}()
		go func() { _, _ = netlink.ParseAddr("10.0.0.1/24") }()
	})
	go func() { _, _ = net.Dial("tcp", "127.0.0.1:80") }()
	go func() { _ = h2.Do(func() error { _, err := net.Listen("tcp", ":0"); return err }) }()
}
