package netns_test

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/veth"
)

// running lists those of pids that still run: present in /proc and not a
// zombie.
func running(pids ...int) []int {
	var alive []int
	for _, pid := range pids {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// The state follows the parenthesised command name.
		rest := string(stat[strings.LastIndexByte(string(stat), ')')+2:])
		if !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X") {
			alive = append(alive, pid)
		}
	}
	return alive
}

// inGroup lists the processes of process group pgid that still run.
func inGroup(pgid int) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if g, err := unix.Getpgid(pid); err == nil && g == pgid {
			pids = append(pids, pid)
		}
	}
	return running(pids...)
}

// descendants lists the running processes below pid, children first.
func descendants(pid int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			continue
		}
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) > 1 {
			ppid, _ := strconv.Atoi(fields[1])
			children[ppid] = append(children[ppid], p)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		for _, c := range children[queue[0]] {
			out = append(out, c)
			queue = append(queue, c)
		}
		queue = queue[1:]
	}
	return running(out...)
}

// daemonPids reads the pids a "stubborn" helper prints.
func daemonPids(p *netns.Process) (daemon, grandchild int) {
	GinkgoHelper()
	p.WaitOutput(`grandchild \d+`)
	_, err := fmt.Sscanf(p.Stdout(), "daemon %d grandchild %d", &daemon, &grandchild)
	Expect(err).NotTo(HaveOccurred())
	return daemon, grandchild
}

var _ = Describe("processes in a namespace", func() {
	BeforeEach(guard.SkipUnlessPrivileged)

	It("forks the child inside the namespace", func() {
		fd := netns.NewTransient()
		Expect(strings.TrimSpace(netns.Output(fd, helper("netns")))).To(Equal(fmt.Sprint(netns.Ino(fd))))
	})

	It("forks the child inside the namespace from any goroutine, even one inside Execute for another namespace", func() {
		fd, other := netns.NewTransient(), netns.NewTransient()
		out := make(chan string, 1)
		netns.Execute(other, func() {
			go func() {
				defer GinkgoRecover()
				out <- netns.Output(fd, helper("netns"))
			}()
		})
		Expect(strings.TrimSpace(<-out)).To(Equal(fmt.Sprint(netns.Ino(fd))))
	})

	It("starts the child in a process group of its own", func() {
		var pid, pgid int
		_, err := fmt.Sscan(netns.Output(netns.NewTransient(), helper("pgid")), &pid, &pgid)
		Expect(err).NotTo(HaveOccurred())
		Expect(pgid).To(Equal(pid))
		Expect(pgid).NotTo(Equal(unix.Getpgrp()))
	})

	It("gives the child no descriptor of the test binary but the standard streams and ExtraFiles", func() {
		fd := netns.NewTransient()
		// Start returns once the child has executed sleep, which keeps no
		// descriptor of its own open once it has read its locale: an
		// inherited one would stay.
		fdsOf := func(p *netns.Process) func() []string {
			return func() []string {
				entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", p.Pid()))
				Expect(err).NotTo(HaveOccurred())
				var fds []string
				for _, e := range entries {
					fds = append(fds, e.Name())
				}
				return fds
			}
		}
		Eventually(fdsOf(netns.Start(fd, exec.Command("sleep", "60")))).WithTimeout(5 * time.Second).Should(ConsistOf("0", "1", "2"))
		extra, err := os.Open(os.DevNull)
		Expect(err).NotTo(HaveOccurred())
		defer extra.Close()
		cmd := exec.Command("sleep", "60")
		cmd.ExtraFiles = []*os.File{extra}
		Eventually(fdsOf(netns.Start(fd, cmd))).WithTimeout(5 * time.Second).Should(ConsistOf("0", "1", "2", "3"))
	})

	It("keeps the last 64 KiB of the output when the caller sets none", func() {
		p := netns.Run(netns.NewTransient(), helper("spew"))
		Expect(p.Stdout()).To(HaveLen(64 << 10))
		Expect(p.Stdout()).To(HaveSuffix("x\nthe end\n"))
		Expect(p.Stderr()).To(BeEmpty())
		Expect(p.Status()).To(Equal("exited with status 0"))
	})

	It("leaves the output to the caller when the caller sets it", func() {
		var out strings.Builder
		fd := netns.NewTransient()
		cmd := helper("netns")
		cmd.Stdout = &out
		p := netns.Run(fd, cmd)
		Expect(p.Stdout()).To(BeEmpty())
		Expect(out.String()).To(Equal(fmt.Sprintln(netns.Ino(fd))))
	})

	It("fails Run on a non-zero exit with the command line, the status and the output tail", func() {
		rec := &testsupport.Recorder{}
		var ino uint64
		rec.Run(func(t testing.TB) {
			fd := netns.NewTransientT(t)
			ino = netns.InoT(t, fd)
			netns.RunT(t, fd, helper("fail", "an arg"))
		})
		Expect(rec.Failures()).To(ConsistOf(SatisfyAll(
			HavePrefix(fmt.Sprintf(`cannot run netns-helper-fail "an arg" in network namespace net:[%d], reason: it exited with status 3`, ino)),
			ContainSubstring("stdout (last lines):\nsome output"),
			ContainSubstring("stderr (last lines):\nsomething went wrong"))))
	})

	It("fails Run on a signal", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			netns.RunT(t, netns.NewTransientT(t), exec.Command("/bin/sh", "-c", "kill -9 $$"))
		})
		Expect(rec.Failures()).To(ConsistOf(ContainSubstring("reason: it was killed by signal 9 (killed)")))
	})

	It("refuses what it cannot start, with a message", func() {
		fd := netns.NewTransient()
		started := helper("sleep")
		Expect(started.Start()).To(Succeed())
		defer func() { started.Process.Kill(); started.Wait() }()
		group := helper("sleep")
		group.SysProcAttr = &unix.SysProcAttr{Setpgid: true, Pgid: 1}
		for what, call := range map[string]func(t testing.TB){
			"reason: the command is nil":                           func(t testing.TB) { netns.StartT(t, fd, nil) },
			"reason: the command was started already":              func(t testing.TB) { netns.StartT(t, fd, started) },
			"reason: SysProcAttr asks for another process group":   func(t testing.TB) { netns.StartT(t, fd, group) },
			"executable file not found in $PATH":                   func(t testing.TB) { netns.StartT(t, fd, exec.Command("no-such-tool-here")) },
			"WithGracePeriod(-1s): a grace period cannot be neg":   func(t testing.TB) { netns.StartT(t, fd, helper("sleep"), netns.WithGracePeriod(-time.Second)) },
			"reason: Stdout is already set":                        func(t testing.TB) { c := helper("netns"); c.Stdout = os.Stdout; netns.OutputT(t, fd, c) },
			"in network namespace fd 12345, reason: file descript": func(t testing.TB) { netns.StartT(t, 12345, helper("sleep")) },
		} {
			if call == nil {
				continue
			}
			rec := &testsupport.Recorder{}
			rec.Run(call)
			Expect(rec.Failures()).To(ConsistOf(SatisfyAll(HavePrefix("cannot "), ContainSubstring(what))), what)
		}
	})

	It("ends a daemon that ignores SIGTERM and its grandchild at cleanup, leaving nothing running", func() {
		rec := &testsupport.Recorder{}
		var daemon, grandchild int
		var p *netns.Process
		rec.Run(func(t testing.TB) {
			p = netns.StartT(t, netns.NewTransientT(t), helper("stubborn"), netns.WithGracePeriod(200*time.Millisecond))
			daemon, grandchild = daemonPids(p)
			Expect(running(daemon, grandchild)).To(HaveLen(2))
		})
		Expect(rec.Failures()).To(BeEmpty())
		Expect(p.Status()).To(Equal("was killed by signal 9 (killed)"))
		Expect(running(daemon, grandchild)).To(BeEmpty())
		Expect(inGroup(daemon)).To(BeEmpty())
		Expect(descendants(os.Getpid())).To(BeEmpty())
	})

	It("ends a daemon that heeds SIGTERM without waiting for the grace period", func() {
		rec := &testsupport.Recorder{}
		var p *netns.Process
		rec.Run(func(t testing.TB) {
			p = netns.StartT(t, netns.NewTransientT(t), helper("sleep"), netns.WithGracePeriod(time.Hour))
		})
		Expect(p.Status()).To(Equal("was killed by signal 15 (terminated)"))
		Expect(descendants(os.Getpid())).To(BeEmpty())
	})

	It("does not kill the child when some other Go thread ends", func() {
		p := netns.Start(netns.NewTransient(), helper("sleep"))
		for range 20 {
			done := make(chan struct{})
			go func() {
				defer close(done)
				// Ending a goroutine that holds its thread locked
				// ends the thread.
				runtime.LockOSThread()
			}()
			<-done
		}
		Consistently(p.Exited()).WithTimeout(200 * time.Millisecond).ShouldNot(BeClosed())
		Expect(running(p.Pid())).To(ConsistOf(p.Pid()))
	})

	It("lists the processes of a failing test in its report, with state and output", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			fd := netns.NewTransientT(t)
			p := netns.StartT(t, fd, helper("serve-tcp", "127.0.0.1:8080"))
			p.WaitOutput("listening")
			done := netns.StartT(t, fd, helper("fail"))
			done.WaitOutput("some output")
			done.WaitOutput("something went wrong")
			<-done.Exited()
			t.Errorf("deliberate failure")
		})
		Expect(rec.Logs()).To(ContainElement(SatisfyAll(
			ContainSubstring("  processes:\n"),
			MatchRegexp(`pid \d+ is running: env SCRATCHNET_NETNS_HELPER=serve-tcp netns-helper-serve-tcp 127.0.0.1:8080\n +stdout:\n +listening on 127.0.0.1:8080\n`),
			MatchRegexp(`pid \d+ exited with status 3: env SCRATCHNET_NETNS_HELPER=fail netns-helper-fail\n +stdout:\n +some output\n +stderr:\n +something went wrong\n`))))
	})

	It("shows in the report the environment each process was given beyond the test's, so that a CNI plugin's ADD, CHECK and DEL differ", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			fd := netns.NewTransientT(t)
			for _, command := range []string{"ADD", "CHECK", "DEL"} {
				cmd := helper("fail")
				// PATH as inherited, not shown; the others set by the test.
				cmd.Env = append(cmd.Env, "CNI_COMMAND="+command, "CNI_ARGS=IgnoreUnknown=1;K8S POD=a b", "PATH="+os.Getenv("PATH"))
				<-netns.StartT(t, fd, cmd).Exited()
			}
			t.Errorf("deliberate failure")
		})
		for _, command := range []string{"ADD", "CHECK", "DEL"} {
			Expect(rec.Logs()).To(ContainElement(MatchRegexp(
				`pid \d+ exited with status 3: env SCRATCHNET_NETNS_HELPER=fail CNI_COMMAND=%s "CNI_ARGS=IgnoreUnknown=1;K8S POD=a b" netns-helper-fail\n`, command)))
		}
		Expect(rec.Logs()).NotTo(ContainElement(ContainSubstring(" PATH=")))
	})

	It("runs the child with a /sys of its namespace on request", func() {
		fd := netns.NewTransient()
		dupond, dupont := veth.NewTransient(veth.InNamespace(fd), veth.WithPeerNamespace(fd))
		names := strings.Fields(netns.Output(fd, helper("sys-class-net"), netns.WithSysfs()))
		Expect(names).To(ConsistOf("lo", dupond.Attrs().Name, dupont.Attrs().Name))
		Expect(strings.Fields(netns.Output(fd, helper("sys-class-net")))).NotTo(ContainElement(dupond.Attrs().Name))
	})
})
