// Package mntns declares the signatures of scratchnet's mntns that the
// analyzer knows.
package mntns

import "testing"

func EnterTransient() func()                       { return func() {} }
func NewTransient() (mntfd int, procfsroot string) { return 0, "" }
func NewTransientT(t testing.TB) (int, string)     { return 0, "" }
func Execute(mntnsfd int, fn func())               { fn() }
func ExecuteWithSysfs(netnsfd int, fn func())      { fn() }
