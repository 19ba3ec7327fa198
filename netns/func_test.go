package netns_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/netns"
)

// The functions the specs start as processes.
var (
	_ = netns.RegisterFunc("args", func(args []string) int {
		ns, err := os.Readlink("/proc/self/ns/net")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Printf("%s %q\n", ns, args)
		return len(args)
	})
	_ = netns.RegisterFunc("panics", func(args []string) int {
		return descend(20)
	})
	_ = netns.RegisterFunc("panics-elsewhere", func(args []string) int {
		done := make(chan int)
		go func() { done <- descend(20) }()
		return <-done
	})
	_ = netns.RegisterFunc("graceful", func(args []string) int {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		defer stop()
		fmt.Println("ready")
		<-ctx.Done()
		fmt.Println("stopping")
		return 0
	})
	_ = netns.RegisterFunc("stubborn", func(args []string) int {
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("ready")
		// A sleep, not select {}: the runtime ends a process whose
		// goroutines all block for ever, as a deadlock.
		time.Sleep(time.Hour)
		return 0
	})
	_ = netns.RegisterFunc("nil", nil)
	_ = netns.RegisterFunc("twice", func(args []string) int { return 0 })
	_ = netns.RegisterFunc("twice", func(args []string) int { return 1 })
)

// descend panics n calls deep, so that the stack is longer than an output
// tail.
func descend(n int) int {
	if n == 0 {
		panic("boom at the bottom")
	}
	return descend(n-1) + 1
}

// netIno renders the namespace fd refers to as /proc/self/ns/net reads.
func netIno(fd int) string { return fmt.Sprintf("net:[%d]", netns.Ino(fd)) }

var _ = Describe("Go functions as processes", func() {
	BeforeEach(guard.SkipUnlessPrivileged)

	It("runs a registered function in the namespace with its arguments, and exits with its status", func() {
		fd := netns.NewTransient()
		p := netns.StartFunc(fd, "args", []string{"one", "two words"})
		Expect(p.Wait()).To(Equal(2))
		Expect(p.Stdout()).To(Equal(netIno(fd) + ` ["one" "two words"]` + "\n"))
		Expect(p.String()).To(HaveSuffix(`-scratchnet.func=args -- one "two words")`))
	})

	It("runs through FuncCommand with every entry of the process API", func() {
		fd := netns.NewTransient()
		Expect(netns.Output(fd, netns.FuncCommand("args"))).To(Equal(netIno(fd) + " []\n"))
		p := netns.StartFunc(fd, "graceful", nil)
		p.WaitOutput("^ready\n")
		Expect(p.Status()).To(Equal("is running"))
	})

	It("runs in a test binary whose TestMain calls m.Run without sandbox.Main", func() {
		fd := netns.NewTransient()
		cmd := netns.FuncCommand("args")
		cmd.Env = append(os.Environ(), mainEnv+"=plain")
		Expect(netns.Output(fd, cmd)).To(Equal(netIno(fd) + " []\n"))
	})

	It("runs the function before the rest of TestMain when TestMain calls FuncMain first", func() {
		fd := netns.NewTransient()
		for mode, want := range map[string]string{
			// Without FuncMain, what TestMain does before m.Run runs
			// in the function process too.
			"setup":    "TestMain set up\n" + netIno(fd) + " []\n",
			"funcmain": netIno(fd) + " []\n",
		} {
			cmd := netns.FuncCommand("args")
			cmd.Env = append(os.Environ(), mainEnv+"="+mode)
			Expect(netns.Output(fd, cmd)).To(Equal(want), "TestMain mode %s", mode)
		}
	})

	It("says what to add when the test binary exits before it runs the function", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			cmd := netns.FuncCommand("args")
			cmd.Env = append(os.Environ(), mainEnv+"=exit")
			netns.RunT(t, netns.NewTransientT(t), cmd)
		})
		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			ContainSubstring(`reason: it exited with status 4 before it ran function "args": the test binary exited before it reached sandbox.Main, netns.FuncMain or the flag parsing of m.Run; call netns.FuncMain() first in TestMain`),
			ContainSubstring("stderr (last lines):\nTestMain cannot set up"))))
		// The report shows what the spec set in the environment, not the
		// library's own variable.
		Expect(rec.Logs()).To(ContainElement(MatchRegexp(`pid \d+ exited with status 4 before it ran function "args": .*: env SCRATCHNET_NETNS_TEST_MAIN=exit \S+ -scratchnet.func=args --\n`)))
	})

	It("shows the panic of the function with its whole stack in the failure", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			netns.RunT(t, netns.NewTransientT(t), netns.FuncCommand("panics"))
		})
		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			ContainSubstring(fmt.Sprintf("reason: it exited with status %d", netns.FuncPanicStatus)),
			ContainSubstring("stderr (from the panic):\n"+`scratchnet: function panicked: "panics": boom at the bottom`),
			// The stack runs from the panic through 20 calls of descend
			// to the function's registration, more than a tail's lines.
			MatchRegexp(`(?s)panic\(.*(netns_test\.descend.*){21}internal/gofunc\.run`))))
	})

	It("shows a panic on another goroutine of the function with its whole stack in the report", func() {
		rec := &testsupport.Recorder{}
		var p *netns.Process
		rec.Run(func(t testing.TB) {
			p = netns.StartFuncT(t, netns.NewTransientT(t), "panics-elsewhere", nil)
			p.Wait()
			t.Fatalf("failed") // for the report
		})
		Expect(p.Status()).To(Equal("exited with status 2"))
		Expect(rec.Logs()).To(ContainElement(MatchRegexp(`(?s)stderr:\n +panic: boom at the bottom\n.*(netns_test\.descend.*){21}created by`)))
	})

	It("fails at once for a name that is not registered, listing those that are", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) { netns.StartFuncT(t, netns.NewTransientT(t), "nope", nil) })
		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			HavePrefix("cannot start "),
			ContainSubstring(`-scratchnet.func=nope -- in network namespace`),
			ContainSubstring(`reason: no function "nope" is registered in this test binary (registered: "args", "graceful", `),
			ContainSubstring(`"nil", "panics", "panics-elsewhere", "stubborn", "twice"`),
			ContainSubstring(`register it at package level: var _ = netns.RegisterFunc("nope", fn)`))))
	})

	It("refuses a name registered twice, as nil or while the tests ran", func() {
		netns.RegisterFunc("late", func([]string) int { return 0 })
		rec := &testsupport.Recorder{}
		for _, name := range []string{"twice", "nil", "late"} {
			rec.Run(func(t testing.TB) { netns.StartFuncT(t, netns.NewTransientT(t), name, nil) })
		}
		Expect(rec.Failures()).To(ConsistOf(
			MatchRegexp(`reason: function "twice" is registered twice, at .*func_test\.go:\d+ and at .*func_test\.go:\d+`),
			MatchRegexp(`reason: function "nil" is registered at .*func_test\.go:\d+ as nil`),
			MatchRegexp(`reason: function "late" was registered at .*func_test\.go:\d+ while the tests ran`)))
	})

	It("says which functions it has when the re-executed binary lacks the name", func() {
		// Started as another binary's command, the name is not checked
		// before the start: the re-executed binary finds it missing.
		cmd := exec.Command(fmt.Sprintf("/proc/%d/exe", os.Getpid()), "-scratchnet.func=nope", "--")
		p := netns.Start(netns.NewTransient(), cmd)
		Expect(p.Wait()).To(Equal(netns.FuncUnknownStatus))
		Expect(p.Stderr()).To(MatchRegexp(`^scratchnet: cannot run function "nope" in process \d+, reason: no function "nope" is registered in this test binary \(registered: "args", `))
	})

	It("stops the function at cleanup: SIGTERM, which it may handle, then SIGKILL", func() {
		var graceful, stubborn *netns.Process
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			fd := netns.NewTransientT(t)
			graceful = netns.StartFuncT(t, fd, "graceful", nil)
			stubborn = netns.StartFuncT(t, fd, "stubborn", nil, netns.WithGracePeriod(200*time.Millisecond))
			graceful.WaitOutput("ready")
			stubborn.WaitOutput("ready")
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(graceful.Status()).To(Equal("exited with status 0"))
		Expect(graceful.Stdout()).To(Equal("ready\nstopping\n"))
		Expect(stubborn.Status()).To(Equal("was killed by signal 9 (killed)"))
		Expect(running(graceful.Pid(), stubborn.Pid())).To(BeEmpty())
	})
})
