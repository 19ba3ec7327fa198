package nsops

// DoRestoringWith and LeaveRestoringWith expose the switch-back seam to the
// external test package, so that its specs can make switching back fail.
// They are functions, not hooks: nothing outside a test can change how Do or
// Leave switch back.
func DoRestoringWith(fd int, fn func(), restore func(orig int) error) error {
	return do(fd, fn, restore)
}

func LeaveRestoringWith(orig int, restore func(orig int) error) {
	leave(orig, restore)
}
