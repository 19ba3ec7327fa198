package fault

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/firewall"
	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/lab"
)

// cable pulls and plugs the cable of one interface of a lab, by setting
// the far end of its veth pair down and up: the interface itself stays up
// (IFF_UP) and loses its carrier (IFF_LOWER_UP, operational state
// LOWERLAYERDOWN, "NO-CARRIER" in ip link), as a pulled cable takes it;
// the kernel sends RTM_NEWLINK for each change, so the code under test sees
// them as it would on a real link. The far end, a veth end too, shows as
// set down, not as without carrier: a veth has no carrier of its own to
// lose.
type cable struct {
	end *lab.Iface
	// held says the cable is pulled: nsfd is then the fault's own
	// reference to the far end's namespace, and wasUp says whether the
	// far end was up before, to leave it as it was at the heal.
	held  bool
	wasUp bool
	nsfd  int
	link  netlink.Link
}

func (c *cable) what() string { return fmt.Sprintf("the far end of %s", c.end) }

func (c *cable) pull() error {
	if !c.held {
		ns, l := c.end.FarEnd()
		own, err := nsops.Dup(ns)
		if err != nil {
			return err
		}
		up, err := isUp(own, l)
		if err != nil {
			unix.Close(own)
			return err
		}
		c.held, c.nsfd, c.link, c.wasUp = true, own, l, up
	}
	return c.set(false)
}

// plug sets the far end up again and lets go of its namespace; without a
// pull before, it does nothing.
func (c *cable) plug() error {
	if !c.held {
		return nil
	}
	var err error
	if c.wasUp {
		// A far end that is gone has no state to restore.
		if err = c.set(true); errors.Is(err, unix.ENODEV) {
			err = nil
		}
	}
	unix.Close(c.nsfd)
	c.held = false
	return err
}

// isUp tells whether the link is up now in the namespace nsfd refers to.
func isUp(nsfd int, l netlink.Link) (bool, error) {
	h, err := nsops.RouteHandleAt(nsfd)
	if err != nil {
		return false, err
	}
	defer h.Close()
	now, err := h.LinkByIndex(l.Attrs().Index)
	if err != nil {
		return false, fmt.Errorf("cannot find link %s in %s, reason: %w", l.Attrs().Name, nsops.Describe(nsfd), err)
	}
	return now.Attrs().Flags&net.FlagUp != 0, nil
}

func (c *cable) set(up bool) error {
	h, err := nsops.RouteHandleAt(c.nsfd)
	if err != nil {
		return err
	}
	defer h.Close()
	if up {
		err = h.LinkSetUp(c.link)
	} else {
		err = h.LinkSetDown(c.link)
	}
	if err != nil {
		return fmt.Errorf("cannot set %s (%s in %s) up=%t, reason: %w", c.what(), c.link.Attrs().Name, nsops.Describe(c.nsfd), up, err)
	}
	return nil
}

// unplug is the fault of Unplug.
type unplug struct {
	mu sync.Mutex
	c  cable
}

// Unplug takes the carrier from interface end, as pulling its cable would,
// until healed: end stays up and the kernel reports it without carrier
// (IFF_LOWER_UP cleared), while the far end of its veth pair (the other
// host's interface of a wire, or the bridge port of a segment member) is
// set down. Heal sets the far end as it was. The package documentation
// says how soon listeners for link messages see the change.
func Unplug(end *lab.Iface) Fault { return &unplug{c: cable{end: end}} }

func (u *unplug) String() string { return "unplug " + u.c.end.String() }

func (u *unplug) Apply() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := u.c.pull(); err != nil {
		return fmt.Errorf("cannot apply %s, reason: %w", u, err)
	}
	return nil
}

func (u *unplug) Heal() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := u.c.plug(); err != nil {
		return fmt.Errorf("cannot heal %s, reason: %w", u, err)
	}
	return nil
}

// FlapOpt configures a [Flap].
type FlapOpt func(*flap) error

// Repeat makes a flap pull the cable times times in all, one pull every
// period from the first: each pull lasts the flap's down time, and period
// must be longer.
func Repeat(times int, every time.Duration) FlapOpt {
	return func(f *flap) error {
		if times < 1 || every <= f.down {
			return fmt.Errorf("Repeat(%d, %v): need at least one time, and a period longer than the down time %v", times, every, f.down)
		}
		f.times, f.every = times, every
		return nil
	}
}

// flap is the fault of Flap.
type flap struct {
	down  time.Duration
	times int
	every time.Duration
	// err is an option's error, reported by Apply.
	err error

	mu   sync.Mutex
	c    cable
	stop chan struct{}
	done chan struct{}
	// failed is the first error of the background pulls and plugs.
	failed error
}

// Flap pulls the cable of interface end as [Unplug] does and plugs it back
// after down, in the background: Apply returns once the cable is pulled.
// With [Repeat] it pulls it again, periodically. Heal stops the flapping,
// waiting for a pull or plug under way, and plugs the cable back if it is
// pulled; it returns the first error of the background work. Code that
// listens for link messages sees carrier changes a second apart at best
// (see the package documentation): give down a second or more for it.
func Flap(end *lab.Iface, down time.Duration, opts ...FlapOpt) Fault {
	f := &flap{down: down, times: 1, c: cable{end: end}}
	if down <= 0 {
		f.err = fmt.Errorf("the down time %v is not positive", down)
	}
	for _, o := range opts {
		if f.err == nil {
			f.err = o(f)
		}
	}
	return f
}

func (f *flap) String() string {
	s := fmt.Sprintf("flap %s down %v", f.c.end, f.down)
	if f.times > 1 {
		s += fmt.Sprintf(", %d times every %v", f.times, f.every)
	}
	return s
}

func (f *flap) Apply() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return fmt.Errorf("cannot apply %s, reason: %w", f, f.err)
	}
	if f.stop != nil {
		return fmt.Errorf("cannot apply %s, reason: it is applied already", f)
	}
	if err := f.c.pull(); err != nil {
		return fmt.Errorf("cannot apply %s, reason: %w", f, err)
	}
	f.stop, f.done, f.failed = make(chan struct{}), make(chan struct{}), nil
	go f.run(time.Now(), f.stop, f.done)
	return nil
}

// run plugs the cable after each down time and pulls it again at the start
// of each period, until the last plug or until stop closes.
func (f *flap) run(start time.Time, stop, done chan struct{}) {
	defer close(done)
	for n := range f.times {
		if n > 0 {
			if !sleep(time.Until(start.Add(time.Duration(n)*f.every)), stop) || !f.step(f.c.pull) {
				return
			}
		}
		if !sleep(time.Until(start.Add(time.Duration(n)*f.every+f.down)), stop) || !f.step(f.c.plug) {
			return
		}
	}
}

func (f *flap) step(do func() error) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := do(); err != nil {
		f.failed = err
		return false
	}
	return true
}

// sleep waits for d or until stop closes, and reports whether d passed.
func sleep(d time.Duration, stop chan struct{}) bool {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-stop:
		return false
	}
}

func (f *flap) Heal() error {
	f.mu.Lock()
	stop, done := f.stop, f.done
	f.mu.Unlock()
	if stop == nil {
		return nil
	}
	close(stop)
	<-done
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stop, f.done = nil, nil
	err := f.c.plug()
	if f.failed != nil {
		err = f.failed
	}
	if err != nil {
		return fmt.Errorf("cannot heal %s, reason: %w", f, err)
	}
	return nil
}

// blackhole is the fault of Blackhole.
type blackhole struct {
	end *lab.Iface

	mu     sync.Mutex
	tables []*faultTable
}

// Blackhole makes the wire (or segment attachment) of interface end drop
// everything, both ways, while both its ends stay up with carrier: each
// end gets an nftables table of the netdev family of the fault's own, in
// its namespace, that drops every frame arriving at it (ARP and neighbour
// discovery included) on the ingress hook.
func Blackhole(end *lab.Iface) Fault { return &blackhole{end: end} }

func (b *blackhole) String() string { return "blackhole " + b.end.String() }

func (b *blackhole) Apply() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.tables) > 0 {
		return fmt.Errorf("cannot apply %s, reason: it is applied already", b)
	}
	farNs, far := b.end.FarEnd()
	jobs := []tableJob{
		{nsfd: b.end.Netns(), make: func(nsfd int) (string, error) { return firewall.MakeIngressDrop(nsfd, b.end.Name()) }},
		{nsfd: farNs, make: func(nsfd int) (string, error) { return firewall.MakeIngressDrop(nsfd, far.Attrs().Name) }},
	}
	tables, failed, err := makeTables(jobs)
	if err != nil {
		return fmt.Errorf("cannot apply %s at %s, reason: %w", b, []string{b.end.Name(), far.Attrs().Name}[failed], err)
	}
	b.tables = tables
	return nil
}

func (b *blackhole) Heal() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	err := deleteTables(b.tables)
	b.tables = nil
	if err != nil {
		return fmt.Errorf("cannot heal %s, reason: %w", b, err)
	}
	return nil
}
