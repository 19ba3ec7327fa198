package bridge

import (
	"fmt"
	"math"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/scratchnet/scratchnet/link"
)

// InNamespace creates the bridge in the network namespace netnsfd refers to;
// the fd stays owned by the caller.
var InNamespace = link.InNamespace

// WithAddress adds an address such as "10.0.0.1/24" or "fd00::1/64" to the
// bridge once it exists; see [link.WithAddress].
var WithAddress = link.WithAddress

// WithUp brings the bridge up once it exists; see [link.WithUp].
var WithUp = link.WithUp

// WithMTU creates the link with this MTU; see [link.WithMTU].
var WithMTU = link.WithMTU

// WithHardwareAddr creates the link with this hardware address, such as
// "02:00:00:00:00:01"; see [link.WithHardwareAddr].
var WithHardwareAddr = link.WithHardwareAddr

// WithTxQLen creates the link with this transmit queue length; see
// [link.WithTxQLen].
var WithTxQLen = link.WithTxQLen

// GoesWithNamespace leaves the bridge to its namespace's teardown instead of
// deleting it at cleanup; see [link.GoesWithNamespace].
var GoesWithNamespace = link.GoesWithNamespace

// centiseconds is the unit (USER_HZ clock ticks) in which the kernel takes
// and reports a bridge's times.
const centiseconds = 10 * time.Millisecond

// Hello times the kernel accepts (BR_MIN_HELLO_TIME, BR_MAX_HELLO_TIME).
const (
	minHelloTime = time.Second
	maxHelloTime = 10 * time.Second
)

// toClockT converts d into the kernel's centiseconds, refusing what they
// cannot express.
func toClockT(d time.Duration) (uint32, error) {
	if d < 0 || d%centiseconds != 0 || d/centiseconds > math.MaxUint32 {
		return 0, fmt.Errorf("%v is not a whole number of centiseconds the kernel can take", d)
	}
	return uint32(d / centiseconds), nil
}

// WithAgeingTime sets how long the bridge remembers the port behind a MAC
// address it learned (the kernel's default is 300s); 0 forgets at once, so
// the bridge floods every frame. The kernel counts in centiseconds.
func WithAgeingTime(d time.Duration) Opt {
	return link.OptFor(fmt.Sprintf("WithAgeingTime(%v)", d), func(b *netlink.Bridge) error {
		t, err := toClockT(d)
		if err != nil {
			return err
		}
		b.AgeingTime = &t
		return nil
	})
}

// WithHelloTime sets the interval between the spanning tree hello messages
// the bridge sends while it is the root bridge, 1s to 10s (the kernel's
// default is 2s).
func WithHelloTime(d time.Duration) Opt {
	return link.OptFor(fmt.Sprintf("WithHelloTime(%v)", d), func(b *netlink.Bridge) error {
		if d < minHelloTime || d > maxHelloTime {
			return fmt.Errorf("hello time %v is outside the kernel's range of %v to %v", d, minHelloTime, maxHelloTime)
		}
		t, err := toClockT(d)
		if err != nil {
			return err
		}
		b.HelloTime = &t
		return nil
	})
}

// WithMulticastSnooping switches IGMP and MLD snooping on or off: with it
// (the kernel's default) the bridge forwards multicast only to ports with
// listeners, without it floods multicast to every port. It needs
// CONFIG_BRIDGE_IGMP_SNOOPING; a kernel without it ignores the setting.
func WithMulticastSnooping(on bool) Opt {
	return link.OptFor(fmt.Sprintf("WithMulticastSnooping(%t)", on), func(b *netlink.Bridge) error {
		b.MulticastSnooping = &on
		return nil
	})
}
