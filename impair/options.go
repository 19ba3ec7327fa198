package impair

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
)

// Opt is one property of an impairment. Options are applied in order; the
// last of the same kind wins.
type Opt func(*config) error

// config is an impairment as the options describe it: netem properties (nil
// when no option needs netem) and a tbf rate (0: none).
type config struct {
	netem *netlink.NetemQdiscAttrs
	rate  uint64 // bits per second
	burst uint32 // bytes
}

func (c *config) netemAttrs() *netlink.NetemQdiscAttrs {
	if c.netem == nil {
		c.netem = &netlink.NetemQdiscAttrs{}
	}
	return c.netem
}

func percent(name string, p float64, set func(*netlink.NetemQdiscAttrs, float32)) Opt {
	return func(c *config) error {
		if p < 0 || p > 100 || math.IsNaN(p) {
			return fmt.Errorf("%s(%v): a percentage is between 0 and 100", name, p)
		}
		set(c.netemAttrs(), float32(p))
		return nil
	}
}

func duration(name string, d time.Duration, set func(*netlink.NetemQdiscAttrs, uint32)) Opt {
	return func(c *config) error {
		us := d.Microseconds()
		if d < 0 || us > math.MaxUint32 {
			return fmt.Errorf("%s(%v): the duration must be between 0 and %v", name, d, time.Duration(math.MaxUint32)*time.Microsecond)
		}
		set(c.netemAttrs(), uint32(us))
		return nil
	}
}

// Delay delays every packet leaving the link by d (netem), with microsecond
// resolution. Round trips over the link grow by d when only one end is
// impaired, and by twice d when both are.
func Delay(d time.Duration) Opt {
	return duration("Delay", d, func(n *netlink.NetemQdiscAttrs, us uint32) { n.Latency = us })
}

// Jitter varies the [Delay] of each packet by up to j either way (netem);
// packets may then be reordered, as with real jitter.
func Jitter(j time.Duration) Opt {
	return duration("Jitter", j, func(n *netlink.NetemQdiscAttrs, us uint32) { n.Jitter = us })
}

// DelayCorrelation makes each packet's [Jitter] depend on the previous
// packet's by this percentage (netem).
func DelayCorrelation(pct float64) Opt {
	return percent("DelayCorrelation", pct, func(n *netlink.NetemQdiscAttrs, v float32) { n.DelayCorr = v })
}

// Loss drops this percentage of the packets leaving the link (netem); 100
// drops all of them.
func Loss(pct float64) Opt {
	return percent("Loss", pct, func(n *netlink.NetemQdiscAttrs, v float32) { n.Loss = v })
}

// LossCorrelation makes each packet's loss depend on the previous packet's
// by this percentage, for bursts of loss (netem).
func LossCorrelation(pct float64) Opt {
	return percent("LossCorrelation", pct, func(n *netlink.NetemQdiscAttrs, v float32) { n.LossCorr = v })
}

// Duplicate sends this percentage of the packets leaving the link twice
// (netem).
func Duplicate(pct float64) Opt {
	return percent("Duplicate", pct, func(n *netlink.NetemQdiscAttrs, v float32) { n.Duplicate = v })
}

// DuplicateCorrelation makes duplication depend on the previous packet's by
// this percentage (netem).
func DuplicateCorrelation(pct float64) Opt {
	return percent("DuplicateCorrelation", pct, func(n *netlink.NetemQdiscAttrs, v float32) { n.DuplicateCorr = v })
}

// Reorder sends this percentage of the packets at once while the others wait
// for their [Delay], so that they overtake them (netem). It needs a Delay.
func Reorder(pct float64) Opt {
	return percent("Reorder", pct, func(n *netlink.NetemQdiscAttrs, v float32) { n.ReorderProb = v })
}

// ReorderCorrelation makes reordering depend on the previous packet's by this
// percentage (netem).
func ReorderCorrelation(pct float64) Opt {
	return percent("ReorderCorrelation", pct, func(n *netlink.NetemQdiscAttrs, v float32) { n.ReorderCorr = v })
}

// Corrupt flips a random bit in this percentage of the packets leaving the
// link (netem).
func Corrupt(pct float64) Opt {
	return percent("Corrupt", pct, func(n *netlink.NetemQdiscAttrs, v float32) { n.CorruptProb = v })
}

// CorruptCorrelation makes corruption depend on the previous packet's by this
// percentage (netem).
func CorruptCorrelation(pct float64) Opt {
	return percent("CorruptCorrelation", pct, func(n *netlink.NetemQdiscAttrs, v float32) { n.CorruptCorr = v })
}

// NetemRate limits the link's sending rate to this many bits per second
// inside netem, which delays each packet by its transmission time; unlike
// [Rate] it needs sch_netem.
func NetemRate(bitsPerSecond uint64) Opt {
	return func(c *config) error {
		if bitsPerSecond == 0 {
			return fmt.Errorf("NetemRate(0): a rate is a positive number of bits per second")
		}
		c.netemAttrs().Rate64 = bitsPerSecond / 8
		return nil
	}
}

// Rate limits the link's sending rate to this many bits per second with a
// token bucket filter (tbf), which queues up to 50 ms of traffic at that rate
// and drops what does not fit. Combined with netem options, tbf shapes what
// netem lets through.
func Rate(bitsPerSecond uint64) Opt {
	return func(c *config) error {
		if bitsPerSecond < 8 {
			return fmt.Errorf("Rate(%d): a rate is at least 8 bits (one byte) per second", bitsPerSecond)
		}
		c.rate = bitsPerSecond
		return nil
	}
}

// Burst lets a [Rate] limit send this many bytes at once (the token bucket's
// size); without it the burst is 1% of a second's worth at the rate, and at
// least four full-sized Ethernet frames.
func Burst(bytes uint32) Opt {
	return func(c *config) error {
		if bytes < 1514 {
			return fmt.Errorf("Burst(%d): a burst smaller than one Ethernet frame (1514 bytes) lets no full-sized packet pass", bytes)
		}
		c.burst = bytes
		return nil
	}
}

// check refuses combinations netem would silently ignore or refuse.
func (c *config) check() error {
	n := c.netem
	if n == nil {
		return nil
	}
	for _, dep := range []struct {
		base, corr float32
		what       string
	}{
		{n.Loss, n.LossCorr, "LossCorrelation needs Loss"},
		{n.Duplicate, n.DuplicateCorr, "DuplicateCorrelation needs Duplicate"},
		{n.ReorderProb, n.ReorderCorr, "ReorderCorrelation needs Reorder"},
		{n.CorruptProb, n.CorruptCorr, "CorruptCorrelation needs Corrupt"},
		{float32(n.Jitter), n.DelayCorr, "DelayCorrelation needs Jitter"},
	} {
		if dep.corr > 0 && dep.base == 0 {
			return errors.New(dep.what)
		}
	}
	if n.Latency == 0 && (n.Jitter > 0 || n.ReorderProb > 0) {
		return errors.New("Jitter and Reorder need a Delay")
	}
	return nil
}

// describe tells what the impairment does, in tc's words, such as
// "netem delay 50ms loss 1%" or "tbf rate 1Mbit".
func (c *config) describe() string {
	var parts []string
	if n := c.netem; n != nil {
		w := []string{"netem"}
		if n.Latency > 0 {
			w = append(w, "delay "+us(n.Latency))
			if n.Jitter > 0 {
				w = append(w, us(n.Jitter))
			}
			if n.DelayCorr > 0 {
				w = append(w, pc(n.DelayCorr))
			}
		}
		for _, p := range []struct {
			name      string
			val, corr float32
		}{
			{"loss", n.Loss, n.LossCorr},
			{"duplicate", n.Duplicate, n.DuplicateCorr},
			{"reorder", n.ReorderProb, n.ReorderCorr},
			{"corrupt", n.CorruptProb, n.CorruptCorr},
		} {
			if p.val > 0 {
				w = append(w, p.name+" "+pc(p.val))
				if p.corr > 0 {
					w = append(w, pc(p.corr))
				}
			}
		}
		if n.Rate64 > 0 {
			w = append(w, "rate "+bits(n.Rate64*8))
		}
		parts = append(parts, strings.Join(w, " "))
	}
	if c.rate > 0 {
		parts = append(parts, fmt.Sprintf("tbf rate %s burst %dB", bits(c.rate), c.burstBytes()))
	}
	return strings.Join(parts, ", then ")
}

func us(v uint32) string { return (time.Duration(v) * time.Microsecond).String() }

func pc(v float32) string { return fmt.Sprintf("%g%%", v) }

func bits(bps uint64) string {
	switch {
	case bps >= 1e9 && bps%1e9 == 0:
		return fmt.Sprintf("%dGbit", bps/1e9)
	case bps >= 1e6 && bps%1e6 == 0:
		return fmt.Sprintf("%dMbit", bps/1e6)
	case bps >= 1e3 && bps%1e3 == 0:
		return fmt.Sprintf("%dKbit", bps/1e3)
	}
	return fmt.Sprintf("%dbit", bps)
}

// burstBytes is the token bucket's size: the one asked for, else 1% of a
// second at the rate but at least four full-sized frames.
func (c *config) burstBytes() uint32 {
	if c.burst > 0 {
		return c.burst
	}
	b := c.rate / 8 / 100
	if b < 4*1514 {
		b = 4 * 1514
	}
	if b > math.MaxUint32 {
		b = math.MaxUint32
	}
	return uint32(b)
}
