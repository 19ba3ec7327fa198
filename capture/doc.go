// Package capture records the packets of an interface, in any network
// namespace, into a pcapng file, and shows the last of them, decoded, in
// the report of a failing test.
//
// See docs/captures-and-reports.md in the repository for the guide to captures
// and failure reports.
//
//	It("talks to the server", func() {
//	    left, right := netns.NewTransient(), netns.NewTransient()
//	    dupond, _ := veth.NewTransient(veth.InNamespace(left), veth.WithPeerNamespace(right))
//	    capture.Link(dupond) // from here to the end of the spec
//	    // ... traffic; if the spec fails, its report shows the last packets
//	})
//
// A capture is an AF_PACKET socket opened inside the interface's namespace
// (no tcpdump, no libpcap, and it works rootless in the sandbox), written
// by gopacket's pcapng writer (pcapgo) and decoded by its layers: one file
// per interface, whose metadata name the interface and the namespace. A lab
// captures its wires with lab.Lab.Capture and lab.Iface.Capture.
//
// # Files
//
// The files live in a temporary directory of the test (one per Ginkgo spec
// or testing.TB), named after the test. When the test passes they are
// removed; when it fails they are kept, and moved to a subdirectory of
// $SCRATCHNET_CAPTURE_DIR when that is set (for CI artifacts). The report
// names each file where it ends up, and the test's log says which were kept.
// A file is kept in memory until its capture stops, or until it outgrows a
// megabyte: the small files of a passing test are never written at all.
//
// # Bounds
//
// A file stops growing at its size limit ([WithMaxFileSize]); the report
// then says how many packets were not written, and the file ends with
// interface statistics counting them as dropped. The report's last packets
// ([WithLastPackets]) keep following the traffic. A capture stops at the
// cleanup of the node that started it; its goroutine and socket end with
// it, and until then the socket keeps the namespace alive.
//
// # Cost
//
// Capturing costs a test little more than the same test without captures
// (make bench measures it). Closing a packet socket waits for an RCU grace
// period in the kernel (about 10 ms), so a stopping capture does not close
// its socket: it has the kernel queue nothing more for it (a filter that
// takes no packet), takes what is queued, completes its file, and leaves
// the close to a goroutine of its own that ends a grace period later. The
// leak checks of package guard wait for those closes before they look for
// leaked fds and goroutines; a plain test that lists its fds right after
// its cleanups may still see the socket for that long.
//
// # Pitfalls
//
//   - A capture sees what the interface sees from the moment it starts:
//     start it before the traffic of interest.
//   - [Capture.File] is there and complete only once the capture stopped
//     ([Capture.Stop] or cleanup).
//   - The socket keeps the namespace alive until the capture stops, and
//     for a grace period after.
package capture
