package link_test

import (
	"errors"
	"os"
	"regexp"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/link"
	"github.com/scratchnet/scratchnet/macvlan"
	"github.com/scratchnet/scratchnet/mntns"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/route"
	"github.com/scratchnet/scratchnet/veth"
)

// badCall is one misuse of a helper, made inside the spec's transient
// namespace ns (where whatever the call might leave behind would show).
type badCall func(ns int) func(t testing.TB)

// A bad fd: negative, closed, open but not a namespace, or a namespace of
// another type. Each is made when the entry runs, and closed at cleanup.
type badFd struct {
	name   string
	open   func() int
	reason string
}

func openFile(path string) int {
	GinkgoHelper()
	f, err := os.Open(path)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(f.Close)
	return int(f.Fd())
}

var badFds = []badFd{
	{"a negative fd", func() int { return -1 }, "invalid file descriptor -1"},
	{"a closed fd", func() int {
		f, err := os.Open(os.DevNull)
		Expect(err).NotTo(HaveOccurred())
		fd := int(f.Fd())
		Expect(f.Close()).To(Succeed())
		return fd
	}, "is not open"},
	{"an fd of /dev/null", func() int { return openFile(os.DevNull) }, "is not a namespace reference"},
	{"a mount namespace fd", func() int { return openFile("/proc/self/ns/mnt") }, "refers to a mount namespace, not a network namespace"},
}

// fdHelpers are all the public helpers that take a network namespace fd,
// each called with the bad fd in the place of that namespace.
var fdHelpers = map[string]func(bad, ns int) func(t testing.TB){
	"netns.Execute": func(bad, _ int) func(t testing.TB) {
		return func(t testing.TB) { netns.ExecuteT(t, bad, func() {}) }
	},
	"netns.Ino": func(bad, _ int) func(t testing.TB) {
		return func(t testing.TB) { netns.InoT(t, bad) }
	},
	"netns.NsID": func(bad, _ int) func(t testing.TB) {
		return func(t testing.TB) { netns.NsIDT(t, bad) }
	},
	"netns.NewNetlinkHandle": func(bad, _ int) func(t testing.TB) {
		return func(t testing.TB) { netns.NewNetlinkHandleT(t, bad) }
	},
	"mntns.ExecuteWithSysfs": func(bad, _ int) func(t testing.TB) {
		return func(t testing.TB) { mntns.ExecuteWithSysfsT(t, bad, func() {}) }
	},
	"link.InNamespace": func(bad, _ int) func(t testing.TB) {
		return func(t testing.TB) { link.NewTransientT(t, &netlink.Bridge{}, "br-", link.InNamespace(bad)) }
	},
	"link.WithLinkNamespace": func(bad, ns int) func(t testing.TB) {
		return func(t testing.TB) {
			link.NewTransientT(t, &netlink.Bridge{}, "br-", link.InNamespace(ns), link.WithLinkNamespace(bad))
		}
	},
	"link.WrapWithLinkNamespace": func(bad, ns int) func(t testing.TB) {
		return func(t testing.TB) {
			link.NewTransientT(t, link.WrapWithLinkNamespace(&netlink.Bridge{}, bad), "br-", link.InNamespace(ns))
		}
	},
	"veth.InNamespace": func(bad, ns int) func(t testing.TB) {
		return func(t testing.TB) { veth.NewTransientT(t, veth.InNamespace(bad), veth.WithPeerNamespace(ns)) }
	},
	"veth.WithPeerNamespace": func(bad, ns int) func(t testing.TB) {
		return func(t testing.TB) { veth.NewTransientT(t, veth.InNamespace(ns), veth.WithPeerNamespace(bad)) }
	},
	"route.Add": func(bad, _ int) func(t testing.TB) {
		return func(t testing.TB) { route.AddT(t, bad, "10.1.0.0/16", route.Via("10.0.0.1")) }
	},
	"route.AddDefault": func(bad, _ int) func(t testing.TB) {
		return func(t testing.TB) { route.AddDefaultT(t, bad, "10.0.0.1") }
	},
}

// badInputEntries lists every case of the guarantee: each bad fd with each
// fd-taking helper, then the other kinds of bad input.
func badInputEntries() []TableEntry {
	var entries []TableEntry
	for _, fd := range badFds {
		for name, helper := range fdHelpers {
			entries = append(entries, Entry(name+" with "+fd.name,
				badCall(func(ns int) func(t testing.TB) { return helper(fd.open(), ns) }), fd.reason))
		}
	}
	return append(entries,
		Entry("a prefix too long", badCall(func(ns int) func(t testing.TB) {
			return func(t testing.TB) { link.NewTransientT(t, &netlink.Bridge{}, "waytoolongprefix", link.InNamespace(ns)) }
		}), "prefix is 16 bytes long, at most 11 are allowed"),
		Entry("a prefix too long for a random name", badCall(func(int) func(t testing.TB) {
			return func(t testing.TB) { link.RandomNifnameT(t, "waytoolongprefix") }
		}), "prefix is 16 bytes long, at most 11 are allowed"),
		Entry("an empty prefix", badCall(func(ns int) func(t testing.TB) {
			return func(t testing.TB) { link.NewTransientT(t, &netlink.Bridge{}, "", link.InNamespace(ns)) }
		}), "prefix is empty"),
		Entry("a prefix with a slash", badCall(func(ns int) func(t testing.TB) {
			return func(t testing.TB) { link.NewTransientT(t, &netlink.Bridge{}, "br/", link.InNamespace(ns)) }
		}), `prefix contains '/'`),
		Entry("a prefix with a space", badCall(func(ns int) func(t testing.TB) {
			return func(t testing.TB) { link.NewTransientT(t, &netlink.Bridge{}, "br ", link.InNamespace(ns)) }
		}), `prefix contains ' '`),
		Entry("a prefix with a non-ASCII character", badCall(func(ns int) func(t testing.TB) {
			return func(t testing.TB) { link.NewTransientT(t, &netlink.Bridge{}, "brü", link.InNamespace(ns)) }
		}), `prefix contains 'ü'`),
		Entry("a nil link template", badCall(func(ns int) func(t testing.TB) {
			return func(t testing.TB) { link.NewTransientT(t, nil, "br-", link.InNamespace(ns)) }
		}), "link template is nil"),
		Entry("a typed nil link template", badCall(func(ns int) func(t testing.TB) {
			return func(t testing.TB) { link.NewTransientT(t, (*netlink.Bridge)(nil), "br-", link.InNamespace(ns)) }
		}), "link template is nil"),
		Entry("a nil link to EnsureUp", badCall(func(int) func(t testing.TB) {
			return func(t testing.TB) { link.EnsureUpT(t, nil) }
		}), "link is nil"),
		Entry("a nil link to AddAddress", badCall(func(int) func(t testing.TB) {
			return func(t testing.TB) { link.AddAddressT(t, nil, "10.0.0.1/24") }
		}), "link is nil"),
		Entry("a wrapper of a nil link to EnsureUp", badCall(func(ns int) func(t testing.TB) {
			return func(t testing.TB) { link.EnsureUpT(t, link.WrapWithLinkNamespace(nil, ns)) }
		}), "link is nil"),
		Entry("a wrapper of a nil link to AddAddress", badCall(func(ns int) func(t testing.TB) {
			return func(t testing.TB) { link.AddAddressT(t, link.WrapWithLinkNamespace(nil, ns), "10.0.0.1/24") }
		}), "link is nil"),
		Entry("a wrapper of a nil port to Enslave", badCall(func(ns int) func(t testing.TB) {
			return func(t testing.TB) {
				link.EnslaveT(t, link.NewTransientT(t, &netlink.Bridge{}, "br-", link.InNamespace(ns)), link.WrapWithLinkNamespace(nil, ns))
			}
		}), "master or port is nil"),
		Entry("a nil macvlan parent", badCall(func(ns int) func(t testing.TB) {
			return func(t testing.TB) { macvlan.NewTransientT(t, nil, macvlan.InNamespace(ns)) }
		}), "parent link is nil"),
		Entry("a Namespace of an unsupported type", badCall(func(int) func(t testing.TB) {
			return func(t testing.TB) {
				link.NewTransientT(t, &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Namespace: netlink.NsPid(1)}}, "br-")
			}
		}), "LinkAttrs.Namespace must be nil or a netlink.NsFd, not a netlink.NsPid"),
		Entry("a veth PeerNamespace of an unsupported type", badCall(func(ns int) func(t testing.TB) {
			return func(t testing.TB) {
				link.NewTransientT(t, &netlink.Veth{PeerNamespace: netlink.NsPid(1)}, "veth-", link.InNamespace(ns))
			}
		}), "Veth.PeerNamespace must be nil or a netlink.NsFd, not a netlink.NsPid"),
		Entry("a link namespace of an unsupported type", badCall(func(ns int) func(t testing.TB) {
			return func(t testing.TB) {
				link.NewTransientT(t, &link.Link{Link: &netlink.Bridge{}, LinkNamespace: "/proc/1/ns/net"}, "br-", link.InNamespace(ns))
			}
		}), "LinkNamespace must be nil or a netlink.NsFd, not a string"),
		Entry("a path that is not a namespace", badCall(func(int) func(t testing.TB) {
			return func(t testing.TB) { netns.InoT(t, os.DevNull) }
		}), "is not a namespace reference"),
		Entry("a path to a mount namespace", badCall(func(int) func(t testing.TB) {
			return func(t testing.TB) { netns.NsIDT(t, "/proc/self/ns/mnt") }
		}), "refers to a mount namespace, not a network namespace"),
		Entry("a path that does not exist", badCall(func(int) func(t testing.TB) {
			return func(t testing.TB) { netns.InoT(t, "/nonexisting/netns") }
		}), "no such file or directory"),
		Entry("an option that returns an error", badCall(func(ns int) func(t testing.TB) {
			return func(t testing.TB) {
				link.NewTransientT(t, &netlink.Bridge{}, "br-", link.InNamespace(ns),
					func(*link.Link) error { return errors.New("no such luck") })
			}
		}), "option 2: no such luck"),
		Entry("a kind option that returns an error", badCall(func(ns int) func(t testing.TB) {
			return func(t testing.TB) {
				veth.NewTransientT(t, veth.InNamespace(ns), veth.WithPeerAddress("not-an-address"))
			}
		}), `WithPeerAddress("not-an-address"): "not-an-address" is not an address`),
		Entry("a route option that returns an error", badCall(func(ns int) func(t testing.TB) {
			return func(t testing.TB) { route.AddT(t, ns, "10.1.0.0/16", route.Via("not-an-address")) }
		}), `reason: Via("not-an-address"): not an IP address`),
		Entry("an unsupported link kind", badCall(func(ns int) func(t testing.TB) {
			return func(t testing.TB) {
				link.NewTransientT(t, &netlink.GenericLink{LinkType: "nosuchkind"}, "nsk-", link.InNamespace(ns))
			}
		}), `kernel does not support link type "nosuchkind"`),
		Entry("a macvlan parent in another namespace without WithLinkNamespace", badCall(func(ns int) func(t testing.TB) {
			parentNs := netns.NewTransient()
			parent, _ := veth.NewTransient(veth.InNamespace(parentNs), veth.WithPeerNamespace(parentNs))
			return func(t testing.TB) { macvlan.NewTransientT(t, parent, macvlan.InNamespace(ns)) }
		}), "but would be looked up in network namespace net:[", "use WithLinkNamespace"),
		Entry("EnsureUp on a link that cannot come up", badCall(func(ns int) func(t testing.TB) {
			// The peer, in another namespace, stays down: this end can
			// only reach "down" or "lower-layer-down" (kernels differ).
			dupond, _ := veth.NewTransient(veth.InNamespace(ns), veth.WithPeerNamespace(netns.NewTransient()))
			return func(t testing.TB) { link.EnsureUpT(t, dupond, 100*time.Millisecond) }
		}), `operational state still "`, `" after 100ms`, "its veth peer is down"),
	)
}

// wellFormed is the shape of every failure message: lowercase, what could
// not be done, then the reason.
var wellFormed = regexp.MustCompile(`^cannot [a-z][^\n]*, reason: `)

var _ = Describe("guarantee: bad input is refused clearly with no side effect", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	DescribeTable("guarantee: bad input is refused clearly with no side effect",
		func(bad badCall, causes ...string) {
			ns := netns.NewTransient()
			call := bad(ns)
			linksBefore := testsupport.LinkNames(ns)
			hostBefore := testsupport.HostSnapshot()
			rec := &testsupport.Recorder{}
			rec.Run(call)
			Expect(rec.Failures()).To(HaveLen(1), "exactly one failure")
			msg := rec.Failures()[0]
			Expect(msg).To(MatchRegexp(wellFormed.String()))
			for _, cause := range causes {
				Expect(msg).To(ContainSubstring(cause))
			}
			By("changing nothing: no link in the spec's namespace or the host's")
			Expect(testsupport.LinkNames(ns)).To(Equal(linksBefore))
			Expect(testsupport.HostSnapshot()).To(Equal(hostBefore))
			// File descriptors and threads are checked by the suite's Guard.
		},
		badInputEntries(),
	)
})
