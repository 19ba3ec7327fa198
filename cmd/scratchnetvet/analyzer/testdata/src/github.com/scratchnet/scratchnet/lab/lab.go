// Package lab declares the signatures of scratchnet's lab that the analyzer
// knows.
package lab

type Host struct{}

func (h *Host) Execute(fn func()) { fn() }
