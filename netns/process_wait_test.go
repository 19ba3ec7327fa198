package netns_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/netns"
)

var _ = Describe("Process.Wait returns the exit status once the output is complete", func() {
	BeforeEach(guard.SkipUnlessPrivileged)

	It("returns the status the process exited with, with its whole output kept, and the same again when called twice", func() {
		fd := netns.NewTransient()
		p := netns.Start(fd, helper("fail"))
		Expect(p.Wait()).To(Equal(3))
		Expect(p.Stdout()).To(Equal("some output\n"))
		Expect(p.Stderr()).To(Equal("something went wrong\n"))
		Expect(p.Wait()).To(Equal(3))
		Expect(p.Failed()).To(BeTrue())

		ok := netns.Start(fd, say("ok"))
		Expect(ok.Wait()).To(Equal(0))
		Expect(ok.Stdout()).To(Equal(said("ok", "out")))
		Expect(ok.Failed()).To(BeFalse())
	})

	It("returns -1 for a process a signal ended, whose Status names the signal", func() {
		// SIGKILL: the helper's Go runtime ignores a signal such as
		// SIGUSR1 once its handlers are in place, so whether that one
		// kills depends on when it arrives.
		p := netns.Start(netns.NewTransient(), helper("sleep"))
		Expect(unix.Kill(p.Pid(), unix.SIGKILL)).To(Succeed())
		Expect(p.Wait()).To(Equal(-1))
		Expect(p.Status()).To(Equal("was killed by signal 9 (killed)"))
	})

	It("fails the test it was started for when the process outlives the timeout, naming the process, its namespace and its output", func() {
		rec := &testsupport.Recorder{}
		var ino uint64
		var p *netns.Process
		rec.Run(func(t testing.TB) {
			fd := netns.NewTransientT(t)
			ino = netns.InoT(t, fd)
			p = netns.StartT(t, fd, helper("serve-udp", "127.0.0.1:7100"))
			p.WaitOutput("listening")
			p.Wait(netns.WithTimeout(50 * time.Millisecond))
			t.Errorf("Wait returned after its timeout")
		})
		Expect(rec.Failures()).To(ConsistOf(fmt.Sprintf(
			"cannot wait for process %d (netns-helper-serve-udp 127.0.0.1:7100) in network namespace net:[%d] to end, reason: it still ran after 50ms\nstdout (last lines):\nlistening on 127.0.0.1:7100\nstderr: (empty)",
			p.Pid(), ino)))
		// The cleanup stopped it; Wait then answers at once.
		Expect(p.Wait(netns.WithTimeout(time.Nanosecond))).To(Equal(-1))
		Expect(p.Status()).To(Equal("was killed by signal 15 (terminated)"))
	})

	It("refuses a nil option with a message", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			netns.StartT(t, netns.NewTransientT(t), helper("fail")).Wait(nil)
		})
		Expect(rec.Failures()).To(ConsistOf(MatchRegexp(
			`^cannot wait for process \d+ \(netns-helper-fail\) in network namespace net:\[\d+\] to end, reason: an option is nil$`)))
	})
})

var _ = Describe("a failed switch back after forking: the forking thread's retirement follows the returned error", func() {
	BeforeEach(guard.SkipUnlessPrivileged)

	injected := errors.New("switch back refused on purpose")
	// stuck switches the locked thread into the namespace, runs fn and
	// never switches back, as nsops.Do does when setns back fails: the
	// thread stays locked and the error wraps ErrRestore.
	stuck := func(nsfd int, fn func()) error {
		runtime.LockOSThread()
		if err := unix.Setns(nsfd, unix.CLONE_NEWNET); err != nil {
			return err
		}
		fn()
		return fmt.Errorf("%w, reason: %w", nsops.ErrRestore, injected)
	}
	type outcome struct {
		retire bool
		err    error
		tid    int
	}
	// startIn calls StartIn as the forking goroutine does: on a locked
	// thread, which it gives back unless told to retire it. A goroutine
	// that ends locked ends its thread.
	startIn := func(fd int, cmd *exec.Cmd, do func(int, func()) error) outcome {
		out := make(chan outcome, 1)
		go func() {
			runtime.LockOSThread()
			o := outcome{tid: unix.Gettid()}
			o.retire, o.err = netns.StartIn(fd, cmd, do)
			out <- o
			if !o.retire {
				runtime.UnlockOSThread()
			}
		}()
		return <-out
	}
	retired := func(tid int) {
		GinkgoHelper()
		Eventually(func() error {
			_, err := os.Stat(fmt.Sprintf("/proc/self/task/%d", tid))
			return err
		}).WithTimeout(5*time.Second).Should(MatchError(os.ErrNotExist), "thread %d, left in a foreign namespace, was not retired", tid)
	}

	It("retires the thread, stuck in the namespace, and keeps the process that started", func() {
		fd := netns.NewTransient()
		var stdout strings.Builder
		cmd := helper("netns")
		cmd.Stdout = &stdout
		o := startIn(fd, cmd, stuck)
		Expect(o.retire).To(BeTrue())
		Expect(o.err).NotTo(HaveOccurred())
		Expect(cmd.Wait()).To(Succeed())
		Expect(stdout.String()).To(Equal(fmt.Sprintln(netns.Ino(fd))))
		retired(o.tid)
	})

	It("retires the thread and returns the start's own error when the command did not start either", func() {
		o := startIn(netns.NewTransient(), exec.Command("no-such-tool-here"), stuck)
		Expect(o.retire).To(BeTrue())
		Expect(o.err).To(MatchError(exec.ErrNotFound))
		Expect(o.err).NotTo(MatchError(nsops.ErrRestore))
		retired(o.tid)
	})

	It("keeps the thread when the switch into the namespace fails, returning that error", func() {
		cmd := helper("netns")
		o := startIn(12345, cmd, nsops.Do)
		Expect(o.retire).To(BeFalse())
		Expect(o.err).To(MatchError(ContainSubstring("12345")))
		Expect(cmd.Process).To(BeNil())
	})
})
