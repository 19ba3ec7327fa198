package nsops

// DoRestoringWith, LeaveRestoringWith, RunRestoringWith and
// UnshareRestoringWith expose the switch-back seam to the external test
// package, so that its specs can make switching back fail. They are
// functions, not hooks: nothing outside a test can change how Do, Leave,
// Run or Unshare switch back.
func DoRestoringWith(fd int, fn func(), restore func(orig int) error) error {
	return do(fd, fn, restore)
}

func LeaveRestoringWith(orig int, restore func(orig int) error) error {
	return leave(orig, restore)
}

func RunRestoringWith(fd int, fn func(), restore func(orig int) error) error {
	return run(fd, fn, restore)
}

func UnshareRestoringWith(restore func(orig int) error) (int, error) {
	return unshare(nil, restore)
}

// SocketsOf exposes a handle's family map, so that specs can ask the
// kernel which namespace each socket lives in.
var SocketsOf = socketsOf

func UnshareForTestRestoringWith(restore func(orig int) error) (int, error) {
	return unshareForTest(nil, restore)
}

func RunForTestRestoringWith(fd int, fn func(), restore func(orig int) error) error {
	return runForTest(fd, fn, restore)
}
