// Package optname names a functional option in the message of its failure,
// so that a reader sees "WithLinkNamespace(7): ..." rather than having to
// count options ("option 2 failed"), of which some may be added internally.
package optname

import (
	"fmt"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
)

// moduleDir is the root of this module's source files, as the binary
// records them (an absolute path, or the module path under -trimpath).
var moduleDir = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(filepath.Dir(file))) + "/"
}()

// Wrap returns err as the failure of opt, the i-th option given (counted
// from 0). This module's options name themselves in their errors, so those
// pass unchanged. Another option, a caller's own, is named by its position
// among the options the caller gave: the options the library adds come
// after those.
func Wrap(opt any, i int, err error) error {
	f := fn(opt)
	if f == nil {
		return fmt.Errorf("option %d: %w", i+1, err)
	}
	// The file of the option's code: unlike the function's name, it does
	// not change when the compiler inlines the function that made it.
	file, _ := f.FileLine(f.Entry())
	if strings.HasPrefix(file, moduleDir) && !strings.HasSuffix(file, "_test.go") {
		return err
	}
	return fmt.Errorf("option %d: %w", i+1, err)
}

func fn(opt any) *runtime.Func {
	v := reflect.ValueOf(opt)
	if v.Kind() != reflect.Func || v.IsNil() {
		return nil
	}
	return runtime.FuncForPC(v.Pointer())
}
