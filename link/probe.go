package link

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"sync"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// ProbeCache remembers the conclusive answers of kernel-support probes, by
// key (a link kind, a qdisc kind, a feature name), for the life of the
// process: the kernel has the thing, or it said it does not. An inconclusive
// answer is returned as an error and not remembered, so that one transient
// failure (EBUSY, ENOMEM, EINTR ...) does not decide every later spec of the
// process. Packages with probes of their own, such as impair and firewall,
// keep one in a package variable. The zero value is ready to use, and it is
// safe for concurrent use; it must not be copied after first use.
type ProbeCache struct {
	mu    sync.Mutex
	known map[string]bool
}

var (
	probes        = &ProbeCache{} // by link kind
	featureProbes = &ProbeCache{} // by feature name
)

// Get returns the remembered answer for key, or asks probe and remembers its
// answer unless probe returns an error, which Get returns as it is. The cache
// is not locked while probe runs: specs probing the same key at once may
// each ask, and then remember the same answer.
func (c *ProbeCache) Get(key string, probe func() (bool, error)) (bool, error) {
	c.mu.Lock()
	supported, ok := c.known[key]
	c.mu.Unlock()
	if ok {
		return supported, nil
	}
	supported, err := probe()
	if err != nil {
		return false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.known == nil {
		c.known = map[string]bool{}
	}
	c.known[key] = supported
	return supported, nil
}

// probe reports whether the kernel knows the rtnetlink link kind. It asks for
// a link of that kind without any kind-specific attributes: a kernel lacking
// the kind answers EOPNOTSUPP, while one that has it creates the link or
// refuses the missing attributes with another error. Either way, the probe
// namespace and whatever got created in it vanish when its fd is closed.
func probe(kind string) (bool, error) {
	return probes.Get(kind, func() (bool, error) { return tryCreate(probeTemplate(kind)) })
}

func probeCreatable(tmpl netlink.Link) (bool, error) {
	if tmpl == nil || reflect.ValueOf(tmpl).IsNil() {
		return false, errors.New("link template is nil")
	}
	l := deepCopy(reflect.ValueOf(tmpl)).Interface().(netlink.Link)
	l.Attrs().Name = "probe"
	l.Attrs().Namespace = nil
	return tryCreate(l)
}

// InThrowawayNamespace runs the kernel-support probe in a new network
// namespace that nothing else uses, giving it a netlink ROUTE handle bound
// there and the namespace's fd, and returns the probe's answer. The handle
// and the fd are closed when probe returns, and the namespace vanishes with
// whatever probe made in it; probe must not keep either. It fails, without
// asking probe, when the namespace or the handle cannot be made. Packages
// with probes of their own use it with a [ProbeCache].
func InThrowawayNamespace(probe func(h *netlink.Handle, nsfd int) (bool, error)) (bool, error) {
	nsfd, err := nsops.Unshare()
	if err != nil {
		return false, err
	}
	defer unix.Close(nsfd)
	h, err := nsops.RouteHandleAt(nsfd)
	if err != nil {
		return false, err
	}
	defer h.Close()
	return probe(h, nsfd)
}

// tryCreate asks for the link l in a throw-away namespace and tells whether
// the kernel knows what it takes: only EOPNOTSUPP means it does not.
func tryCreate(l netlink.Link) (bool, error) {
	return InThrowawayNamespace(func(h *netlink.Handle, nsfd int) (bool, error) {
		return probeAnswer(probeAdd(h, nsfd, l))
	})
}

// inconclusive are the answers that say nothing about the kernel's support:
// the probe was not allowed to run, or the kernel was short of something at
// that moment.
var inconclusive = []unix.Errno{unix.EPERM, unix.EACCES, unix.EBUSY, unix.ENOMEM, unix.ENOBUFS, unix.EINTR, unix.EAGAIN, unix.ETIMEDOUT}

// probeAnswer turns the kernel's answer to a probe into supported or not,
// or an error when the answer is inconclusive.
func probeAnswer(err error) (bool, error) {
	if errors.Is(err, unix.EOPNOTSUPP) {
		return false, nil
	}
	for _, errno := range inconclusive {
		if errors.Is(err, errno) {
			return false, fmt.Errorf("the probe's answer says nothing about kernel support: %w", err)
		}
	}
	return true, nil
}

// probeTemplate is the link the kernel-support probe asks for. Most kinds are
// probed with a bare rtnetlink request, but:
//   - a tuntap cannot be, since the tun driver answers every rtnetlink
//     creation request with EOPNOTSUPP although it is there;
//     vishvananda/netlink calls the kind "tuntap", the kernel "tun";
//   - vishvananda/netlink refuses to send a request for an ipvlan or ipoib
//     link without a parent index, so the probe names one that does not
//     exist: a kernel with the kind answers ENODEV, one without EOPNOTSUPP.
func probeTemplate(kind string) netlink.Link {
	attrs := netlink.LinkAttrs{Name: "probe"}
	switch kind {
	case "tuntap", "tun":
		return &netlink.Tuntap{LinkAttrs: attrs, Mode: netlink.TUNTAP_MODE_TAP}
	case "ipvlan", "ipoib":
		attrs.ParentIndex = math.MaxInt32
	}
	return &netlink.GenericLink{LinkAttrs: attrs, LinkType: kind}
}

// probeAdd creates tmpl in the probe namespace nsfd, through h bound there.
func probeAdd(h *netlink.Handle, nsfd int, tmpl netlink.Link) error {
	return (&request{link: tmpl, kind: tmpl.Type(), linkNs: nsfd}).send(h)
}
