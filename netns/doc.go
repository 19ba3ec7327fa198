// Package netns gives tests throw-away Linux network namespaces and the small
// tools to work with them: enter one, run code in one, identify one, and talk
// netlink to one.
//
// See docs/namespaces-and-links.md in the repository for the guide to
// namespaces and links, and docs/running-code-under-test.md for running the
// code under test, processes and Go code, in a namespace.
//
// Every helper fails the current spec (or test) with a message of the form
// "cannot <do what> ..., reason: <cause>" when something goes wrong, and
// registers its own teardown, so a test never closes or deletes anything the
// package gave it. The failure goes through the test framework
// (GinkgoT().Fatalf, or t.Fatalf for the T siblings), not through Gomega:
// unlike with notwork, Gomega's InterceptGomegaFailure around a helper does
// not catch it. To expect a failure, call the T sibling with a testing.TB of
// your own that records it.
//
//	It("talks to a server in a namespace of its own", func() {
//	    defer netns.EnterTransient()()  // this goroutine now runs in a fresh namespace
//	    ln, err := net.Listen("tcp", "127.0.0.1:0") // lo is already up
//	    Expect(err).NotTo(HaveOccurred())
//	    ln.Close()
//	})
//
//	It("runs code in a namespace without entering it for good", func() {
//	    fd := netns.NewTransient() // closed at the end of the spec
//	    netns.Execute(fd, func() {
//	        // the calling goroutine's thread is inside the namespace here
//	    })
//	})
//
// # Pitfalls
//
// A network namespace belongs to an OS thread, not to a goroutine. Go may move
// a goroutine to another thread at any time, unless the goroutine is locked to
// its thread. [EnterTransient] and [Execute] lock the thread for as long as the
// goroutine is inside the other namespace; code running there must not start
// goroutines and expect them to share the namespace: a new goroutine runs on
// whatever thread the scheduler picks. Hand such code sockets bound to the
// namespace instead (see Go code under test below).
//
// Ginkgo runs each node and each DeferCleanup callback on a goroutine of its
// own, so a cleanup never runs in the namespace its spec had entered. This is
// why everything in this module works from namespace fds and netlink handles
// bound to them, never from "the current namespace" at cleanup time.
//
// If switching a thread back into its original namespace ever fails, the
// helpers fail the test with a message and leave the thread locked: when
// its goroutine ends, the Go runtime retires that thread instead of reusing
// it in a foreign namespace. The library's own work in other namespaces
// (opening handles, creating namespaces, cleanups) runs on threads of its
// own, never the main thread, so the caller's thread never moves. The one
// exception is the function EnterTransient returns: it cannot report an
// error, so it panics, leaving the thread locked. If that thread is the
// main thread, the runtime parks it for good instead of retiring it, which
// is just as safe, but /proc/self/ns/net then names the foreign namespace,
// since it describes the main thread.
//
// A new transient namespace has its loopback "lo" up, so binding 127.0.0.1 or
// ::1 works at once.
//
// # Go code under test
//
// The kernel keeps a socket in the namespace it was created in, whichever
// thread later uses it. [Listen], [ListenPacket] and [Dial] create sockets
// on a thread in a namespace and hand them back, usable from any
// goroutine: a server's accept loop and handlers, a library's reader. A
// [Dialer] (from [NewDialer]) dials from the namespace whichever goroutine
// calls its DialContext, which plugs into http.Transport, net.Resolver and
// grpc.WithContextDialer; [NewHTTPClient] is a ready *http.Client on one.
// All of them are closed at the end of the node that made them. [Do] runs a
// callback in a namespace from any goroutine and returns its error instead
// of failing the test, for the callbacks of a library that opens its own
// sockets on goroutines of its own.
//
//	It("serves HTTP in a namespace without entering it", func() {
//	    fd := netns.NewTransient()
//	    ln := netns.Listen(fd, "tcp", "127.0.0.1:8080")
//	    go http.Serve(ln, handler)
//	    resp, err := netns.NewHTTPClient(fd).Get("http://127.0.0.1:8080/")
//	    ...
//	})
//
// # Processes
//
// [Start], [Run] and [Output] run an *exec.Cmd inside a namespace: the child
// is forked from a thread in it, in a process group of its own, and stopped
// (SIGTERM, [WithGracePeriod], SIGKILL) and reaped at the end of the node.
// [Process.WaitListening] and [WaitListening] wait, through sock_diag in
// the namespace, until something listens on a port; [Process.WaitOutput]
// until the output matches; [Process.Wait] until the process has ended and
// its kept output is complete, returning its exit status. [Pin] names a
// namespace under /run/netns for ip(8) and nsenter; [Path] gives a path of
// it for software that takes one, such as a CNI plugin's CNI_NETNS (its
// example runs the bridge plugin).
//
//	It("runs a server and a client", func() {
//	    fd := netns.NewTransient()
//	    srv := netns.Start(fd, exec.Command("my-server", "-listen", "127.0.0.1:8080"))
//	    srv.WaitListening("tcp", 8080)
//	    out := netns.Output(fd, exec.Command("my-client", "127.0.0.1:8080"))
//	    Expect(out).To(ContainSubstring("hello"))
//	})
//
// # Go functions as processes
//
// Go code starts goroutines of its own, which run on threads outside the
// namespace [Execute] switched one thread into. A process lives in its
// namespace with all its threads: [RegisterFunc] registers a function at
// package level, and [StartFunc] (a lab host's StartFunc) starts it as a
// process forked inside a namespace, the test binary re-executed, so every
// goroutine it starts, and every socket they open, is there.
// [FuncCommand] returns the command, for [Run], [Output] or a command's own
// Env and Stdin. The process API is the same: readiness, [Process.Wait],
// the cleanup's SIGTERM (the function may handle it with
// signal.NotifyContext) and SIGKILL, and failure reports, which show a
// panic of the function with its whole stack.
//
//	var _ = netns.RegisterFunc("serve", func(args []string) int {
//	    fmt.Fprintln(os.Stderr, http.ListenAndServe(args[0], handler))
//	    return 1
//	})
//
//	It("serves from a function process", func() {
//	    srv := netns.StartFunc(fd, "serve", []string{"127.0.0.1:8080"})
//	    srv.WaitListening("tcp", 8080)
//	})
//
// No TestMain is needed: the re-executed binary runs the function when
// package testing parses its flags, after every init and before any test;
// sandbox.Main runs it first thing. A TestMain that does work before
// sandbox.Main or m.Run calls [FuncMain] first.
//
// The kernel sends a child's parent-death signal when the *thread* that
// forked it ends, not the process: the forking thread therefore stays,
// locked, until the child is reaped, and no other thread's end can kill the
// child. A daemon that leaves its process group (setsid) escapes the group
// signals; run daemons in the foreground.
//
// Each helper has a sibling ending in T that takes a [testing.TB] instead of
// using Ginkgo, for plain "go test" users: cleanup then goes through t.Cleanup.
// The Ginkgo helpers are these siblings called with GinkgoTB().
package netns
