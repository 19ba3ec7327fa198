// Package gofunc keeps the Go functions a test binary registered to run as
// processes (netns.RegisterFunc), and runs the one a re-executed test
// binary was started for. It sits below both netns, which starts such
// processes, and sandbox, whose Main must run the function before it sets
// up a sandbox.
package gofunc

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Flag is the flag that names the function a re-executed test binary runs:
// its command line is the binary, "-scratchnet.func=NAME", "--" and the
// function's arguments.
const Flag = "scratchnet.func"

// RanEnv names, in a function process's environment, the descriptor into
// which it writes once it is about to run the function, so that the
// process that started it can tell a test binary that exited before from a
// function that failed.
const RanEnv = "SCRATCHNET_FUNC_RAN_FD"

// Exit statuses of a function process that the function did not choose.
const (
	// PanicStatus: the function panicked; its stack is on stderr.
	PanicStatus = 70
	// UnknownStatus: the binary has no function of that name.
	UnknownStatus = 127
)

// PanicLine starts the line a panicking function process writes to stderr
// before the panic's value and stack.
const PanicLine = "scratchnet: function panicked:"

type entry struct {
	fn   func(args []string) int
	late bool   // registered once the tests ran: a re-executed binary lacks it
	dup  string // where it was registered a second time, if it was
	at   string
}

var (
	mu    sync.Mutex
	funcs = map[string]*entry{}
)

// Register records fn under name; at names the caller for messages.
func Register(name string, fn func(args []string) int, at string) {
	mu.Lock()
	defer mu.Unlock()
	if e, ok := funcs[name]; ok {
		e.dup = at
		return
	}
	// testing parses the flags just before it runs the tests: a
	// registration after that happened in a test, which a re-executed
	// binary never reaches.
	funcs[name] = &entry{fn: fn, late: flag.Parsed(), at: at}
}

// Check says why name cannot be started as a process of this test binary,
// or returns nil.
func Check(name string) error {
	mu.Lock()
	defer mu.Unlock()
	e, ok := funcs[name]
	switch {
	case name == "" || strings.ContainsAny(name, "\x00"):
		return fmt.Errorf("the function name %q is empty or holds a NUL byte", name)
	case !ok:
		return fmt.Errorf("no function %q is registered in this test binary (%s); register it at package level: var _ = netns.RegisterFunc(%q, fn)", name, registered(), name)
	case e.fn == nil:
		return fmt.Errorf("function %q is registered at %s as nil", name, e.at)
	case e.dup != "":
		return fmt.Errorf("function %q is registered twice, at %s and at %s; the re-executed test binary could not tell which to run", name, e.at, e.dup)
	case e.late:
		return fmt.Errorf("function %q was registered at %s while the tests ran, which the re-executed test binary never does: register it at package level (var _ = netns.RegisterFunc(...)) or in an init function", name, e.at)
	}
	return nil
}

// registered lists the registered names for a message.
func registered() string {
	names := make([]string, 0, len(funcs))
	for n := range funcs {
		names = append(names, fmt.Sprintf("%q", n))
	}
	if len(names) == 0 {
		return "it registers none"
	}
	slices.Sort(names)
	return "registered: " + strings.Join(names, ", ")
}

// Caller names the caller's caller as file:line.
func Caller() string {
	_, file, line, ok := runtime.Caller(2)
	if !ok {
		return "an unknown place"
	}
	return fmt.Sprintf("%s:%d", file, line)
}

// Args returns the command line that runs the function name with args,
// without the binary.
func Args(name string, args []string) []string {
	return append([]string{"-" + Flag + "=" + name, "--"}, args...)
}

// requested returns the function name and arguments the process's command
// line asks for, if it does.
func requested() (name string, args []string, ok bool) {
	if len(os.Args) < 3 || os.Args[2] != "--" {
		return "", nil, false
	}
	name, ok = strings.CutPrefix(os.Args[1], "-"+Flag+"=")
	return name, os.Args[3:], ok
}

// Main runs the function the command line asks for and exits with its
// status; it returns at once when the command line asks for none.
func Main() {
	name, args, ok := requested()
	if !ok {
		return
	}
	tellRan()
	os.Exit(run(name, args))
}

// tellRan writes into the descriptor RanEnv names and closes it, so that
// what the function starts does not inherit it.
func tellRan() {
	fd, err := strconv.Atoi(os.Getenv(RanEnv))
	os.Unsetenv(RanEnv)
	if err != nil || fd < 3 {
		return
	}
	_, _ = syscall.Write(fd, []byte{1})
	_ = syscall.Close(fd)
}

func run(name string, args []string) (status int) {
	if err := Check(name); err != nil {
		fmt.Fprintf(os.Stderr, "scratchnet: cannot run function %q in process %d, reason: %v\n", name, os.Getpid(), err)
		return UnknownStatus
	}
	mu.Lock()
	fn := funcs[name].fn
	mu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "%s %q: %v\n\n%s", PanicLine, name, r, debug.Stack())
			status = PanicStatus
		}
	}()
	return fn(args)
}

// dispatch is the flag a re-executed binary defines: testing parses the
// flags after every package's init, when the test package's registrations
// are done, and before any test runs, so a binary whose TestMain does not
// call Main runs the function there.
type dispatch struct{}

func (dispatch) String() string { return "" }

func (dispatch) Set(string) error {
	Main()
	return nil
}

func init() {
	if _, _, ok := requested(); ok {
		flag.Var(dispatch{}, Flag, "run the registered Go function of that name (set by netns.FuncCommand)")
	}
}
