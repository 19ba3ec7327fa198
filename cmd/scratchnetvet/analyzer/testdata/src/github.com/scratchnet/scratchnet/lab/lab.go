// Package lab declares the signatures of scratchnet's lab that the analyzer
// knows.
package lab

type Host struct{}

func (h *Host) Execute(fn func()) { fn() }

type Iface struct{}

type Segment struct{}

func (h *Host) Netns() int    { return 0 }
func (i *Iface) Netns() int   { return 0 }
func (s *Segment) Netns() int { return 0 }

func (h *Host) Do(fn func() error) error { return fn() }
