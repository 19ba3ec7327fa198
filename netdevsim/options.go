package netdevsim

import (
	"errors"
	"fmt"

	"github.com/scratchnet/scratchnet/internal/nsops"
)

// Options is the configuration of a transient netdevsim device that the
// options build; the zero value of each field is replaced by its default
// (one port, one RX and one TX queue, the calling thread's namespace).
type Options struct {
	HasID      bool // false: the lowest free ID
	ID         uint
	Ports      uint
	QueueCount uint // RX queues and TX queues each
	NetnsFd    int  // the namespace for the ports, when >= 0
	MaxVFs     uint
}

// Opt configures a transient netdevsim device before it is created.
type Opt func(*Options) error

// WithID creates the device with the given ID (device netdevsim<id>)
// instead of the lowest free one; if the ID is taken, creation fails.
func WithID(id uint) Opt {
	return func(o *Options) error {
		o.HasID = true
		o.ID = id
		return nil
	}
}

// WithPorts gives the device n ports, each a network interface; the default
// is one.
func WithPorts(n uint) Opt {
	return func(o *Options) error {
		o.Ports = n
		return nil
	}
}

// WithRxTxQueueCountEach gives each port n RX and n TX queues; the default
// is one of each, and zero is refused.
func WithRxTxQueueCountEach(n uint) Opt {
	return func(o *Options) error {
		if n == 0 {
			return errors.New("WithRxTxQueueCountEach(0): RX/TX queue count cannot be zero")
		}
		o.QueueCount = n
		return nil
	}
}

// WithMaxVFs enables n SR-IOV virtual functions on the device (zero: none,
// the default). The kernel refuses more than its netdevsim allows.
func WithMaxVFs(n uint) Opt {
	return func(o *Options) error {
		o.MaxVFs = n
		return nil
	}
}

// InNamespace puts the device's ports in the network namespace netnsfd
// refers to instead of the calling thread's; the fd stays owned by the
// caller.
func InNamespace(netnsfd int) Opt {
	return func(o *Options) error {
		if err := nsops.Check(netnsfd); err != nil {
			return fmt.Errorf("InNamespace(%d): %w", netnsfd, err)
		}
		o.NetnsFd = netnsfd
		return nil
	}
}
