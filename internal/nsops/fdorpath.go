package nsops

import (
	"reflect"

	"golang.org/x/sys/unix"
)

// WithFdOrPath calls fn with an fd for ref, after checking that it refers
// to a namespace of the CLONE_NEW* type nstype: ref itself when it is an
// open fd, or a temporary fd opened from ref when it is a path such as
// /proc/1/ns/mnt or /run/netns/blue, closed again when fn returns. The
// public helpers that take either (netns.Ino, mntns.Ino ...) are generic
// over ~int | ~string, so a named fd or path type of a caller's works too.
func WithFdOrPath[R ~int | ~string](ref R, nstype int, fn func(fd int) error) error {
	v := reflect.ValueOf(ref)
	if v.Kind() == reflect.String {
		fd, err := openPathType(v.String(), nstype)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		return fn(fd)
	}
	fd := int(v.Int())
	if err := CheckType(fd, nstype); err != nil {
		return err
	}
	return fn(fd)
}

// FdOrPathIno returns the inode number of the namespace of the CLONE_NEW*
// type nstype that ref, an open fd or a path, refers to (see
// [WithFdOrPath]).
func FdOrPathIno[R ~int | ~string](ref R, nstype int) (uint64, error) {
	var ino uint64
	err := WithFdOrPath(ref, nstype, func(fd int) (err error) {
		ino, err = fstatIno(fd)
		return err
	})
	return ino, err
}
