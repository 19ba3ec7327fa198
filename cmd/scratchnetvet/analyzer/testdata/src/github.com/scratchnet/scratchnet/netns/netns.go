// Package netns declares the signatures of scratchnet's netns that the
// analyzer knows.
package netns

import "testing"

func EnterTransient() func()                        { return func() {} }
func EnterTransientT(t testing.TB) func()           { return func() {} }
func NewTransient() int                             { return 0 }
func NewTransientT(t testing.TB) int                { return 0 }
func Current() int                                  { return 0 }
func CurrentT(t testing.TB) int                     { return 0 }
func CurrentIno() uint64                            { return 0 }
func Execute(netnsfd int, fn func())                { fn() }
func ExecuteT(t testing.TB, netnsfd int, fn func()) { fn() }
func Do(netnsfd int, fn func() error) error         { return fn() }
