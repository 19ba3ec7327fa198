package lab

import (
	"github.com/scratchnet/scratchnet/impair"
)

// Impair impairs what the host sends through this interface, as opts say
// (see package impair), or changes the impairment it has to that; without
// options it removes it. The impairment goes with the lab's namespaces.
func (i *Iface) Impair(opts ...impair.Opt) {
	t := i.Host.lab.t
	t.Helper()
	i.Host.mu.Lock()
	imp := i.impairment
	i.Host.mu.Unlock()
	if imp != nil {
		imp.Change(opts...)
		return
	}
	imp = impair.LinkT(t, i.Link, opts...)
	i.Host.mu.Lock()
	i.impairment = imp
	i.Host.mu.Unlock()
}

// Impairment returns the impairment of what the host sends through this
// interface, or nil if it was never impaired; its String method tells what
// it does now ("none" once removed), for reports and diagrams.
func (i *Iface) Impairment() *impair.Impairment {
	i.Host.mu.Lock()
	defer i.Host.mu.Unlock()
	return i.impairment
}

// Impaired reports whether what the host sends through this interface is
// impaired now.
func (i *Iface) Impaired() bool {
	imp := i.Impairment()
	return imp != nil && imp.Active()
}
