package netns

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"

	"github.com/scratchnet/scratchnet/internal/gofunc"
)

// Exit statuses of a function process ([FuncCommand]) that the function did
// not return itself.
const (
	// FuncPanicStatus, 70, is the exit status of a function process whose
	// function panicked on the goroutine that runs it. The panic's value
	// and stack are on its stderr, which failure messages and reports then
	// show in full. A panic on a goroutine the function started ends the
	// process as in any Go program, with status 2; they show that stack in
	// full too.
	FuncPanicStatus = gofunc.PanicStatus
	// FuncUnknownStatus, 127, is the exit status of a function process whose
	// test binary has no function of that name; its stderr lists those it
	// has.
	FuncUnknownStatus = gofunc.UnknownStatus
)

// RegisterFunc registers fn under name, so that [FuncCommand], [StartFunc]
// and a lab host's StartFunc can run it as a process of its own: the test
// binary re-executed, forked inside a network namespace, where every
// goroutine of fn, and every socket they open, lives in that namespace.
//
// Register at package level of the test package, or in an init function,
// so that the re-executed binary registers it too before it runs it:
//
//	var _ = netns.RegisterFunc("serve", func(args []string) int {
//		return serve(args)
//	})
//
// fn gets the arguments the process was started with and returns its exit
// status. It runs before any test: outside Ginkgo and testing, so it
// reports problems by writing to stderr and returning a non-zero status,
// not with Expect or t. A panic on its goroutine ends the process with
// [FuncPanicStatus]. At cleanup the process gets SIGTERM, which ends it
// unless fn handles it (signal.NotifyContext) to shut down in the grace
// period. A name registered twice, as nil, or after the tests began, cannot be
// started; [Start] says so. RegisterFunc always returns true.
func RegisterFunc(name string, fn func(args []string) int) bool {
	gofunc.Register(name, fn, gofunc.Caller())
	return true
}

// FuncCommand returns a command that runs the function registered under
// name ([RegisterFunc]) with args: the test binary, re-executed with the
// command line "-scratchnet.func=NAME -- ARGS...". Start it with [Start],
// [Run], [Output] or a lab host's methods, which check that name is
// registered; set Env, Stdin, Stdout or ExtraFiles as for any command. They
// append a pipe to ExtraFiles, and its descriptor number to Env, through
// which the re-executed binary says it is about to run the function: a
// process that ends before then has its status say so, and what to add to
// TestMain.
//
// The re-executed binary runs the function before any test. In a test
// binary whose TestMain calls sandbox.Main, that does it first thing; in
// one without TestMain, or whose TestMain calls m.Run, the flag parsing of
// package testing does it, after every package's init and before any test.
// A TestMain that does work before sandbox.Main or m.Run (starting a
// database, say) would do it in every function process too: call
// [FuncMain] first thing there.
func FuncCommand(name string, args ...string) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		// /proc/self/exe names the binary too, but in messages less well.
		exe = "/proc/self/exe"
	}
	cmd := exec.Command(exe, gofunc.Args(name, args)...)
	cmd.Args[0] = os.Args[0]
	return cmd
}

// FuncMain runs the registered function a process started by [FuncCommand]
// was started for and exits with its status; in any other process it
// returns at once. sandbox.Main calls it first thing, and so must a TestMain
// that does anything before sandbox.Main or m.Run:
//
//	func TestMain(m *testing.M) {
//		netns.FuncMain()
//		db := startDatabase()
//		...
//	}
func FuncMain() { gofunc.Main() }

// StartFunc starts the function registered under name with args inside
// the network namespace netnsfd refers to, as [Start] starts
// FuncCommand(name, args...), and returns at once: readiness
// ([Process.WaitListening], [Process.WaitOutput]), [Process.Wait], output
// tails and the cleanup (SIGTERM, the grace period, SIGKILL) are those of
// any process. It fails at once when name is not registered, listing the
// names that are.
func StartFunc(netnsfd int, name string, args []string, opts ...ProcessOpt) *Process {
	GinkgoHelper()
	return StartFuncT(GinkgoTB(), netnsfd, name, args, opts...)
}

// StartFuncT is [StartFunc] for plain testing users.
func StartFuncT(t testing.TB, netnsfd int, name string, args []string, opts ...ProcessOpt) *Process {
	t.Helper()
	return StartT(t, netnsfd, FuncCommand(name, args...), opts...)
}

// funcName returns the name of the registered function cmd runs, if it
// runs one ([FuncCommand]).
func funcName(cmd *exec.Cmd) (string, bool) {
	if len(cmd.Args) < 3 || cmd.Args[2] != "--" {
		return "", false
	}
	if exe, err := os.Executable(); cmd.Path != "/proc/self/exe" && (err != nil || cmd.Path != exe) {
		return "", false
	}
	return strings.CutPrefix(cmd.Args[1], "-"+gofunc.Flag+"=")
}

// streamOutput renders a kept output stream of p for a message or report:
// its last n lines, or, on the stderr of a function process that panicked,
// the panic and its whole stack, which n lines would cut off; fromPanic
// says which.
func (p *Process) streamOutput(name string, t *tail, n int) (out string, fromPanic bool) {
	s := t.String()
	if name == "stderr" && p.fn != "" {
		if out := panicOutput(s); out != "" {
			return out, true
		}
	}
	return lastLines(s, n), false
}

// panicOutput returns, from the stderr of a function process, the panic
// that ended it with its whole stack: the one the function's goroutine
// wrote, or the runtime's for a panic or fatal error on another goroutine;
// "" when there is none.
func panicOutput(stderr string) string {
	i := strings.LastIndex(stderr, gofunc.PanicLine)
	for _, start := range []string{"panic: ", "fatal error: "} {
		if i >= 0 {
			break
		}
		if strings.HasPrefix(stderr, start) {
			i = 0
		} else if j := strings.LastIndex(stderr, "\n"+start); j >= 0 {
			i = j + 1
		}
	}
	if i < 0 {
		return ""
	}
	return strings.TrimRight(stderr[i:], "\n")
}
