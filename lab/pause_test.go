package lab_test

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/mntns"
	"github.com/scratchnet/scratchnet/netns"
)

// openPty returns both ends of a new pseudo-terminal, from a devpts of its
// own (mounted in a throw-away mount namespace), so that it works where
// /dev/pts is missing, as in make test-vm's guests.
func openPty() (master, slave *os.File) {
	GinkgoHelper()
	dir := GinkgoT().TempDir()
	mntns.ExecuteWithSysfs(netns.NewTransient(), func() {
		Expect(unix.Mount("devpts", dir, "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620")).To(Succeed())
		var err error
		master, err = os.OpenFile(dir+"/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
		Expect(err).NotTo(HaveOccurred())
	})
	Expect(unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0)).To(Succeed())
	// TIOCGPTPEER opens the other end without a path.
	sfd, _, errno := unix.Syscall(unix.SYS_IOCTL, master.Fd(), unix.TIOCGPTPEER, uintptr(unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC))
	Expect(errno).To(BeZero())
	return master, os.NewFile(sfd, "pty")
}

// pausingRun returns this test binary, not yet started, set to run the
// deliberately failing specs (focus narrows them) with pauses on failure,
// sandboxed afresh, and a buffer that receives its output.
func pausingRun(focus string) (*exec.Cmd, *gbytes.Buffer) {
	GinkgoHelper()
	exe, err := os.Executable()
	Expect(err).NotTo(HaveOccurred())
	cmd := exec.Command(exe, "-ginkgo.label-filter="+deliberateFailure, "-ginkgo.focus="+focus, "-ginkgo.no-color")
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "SCRATCHNET_SANDBOX") {
			cmd.Env = append(cmd.Env, e)
		}
	}
	cmd.Env = append(cmd.Env, "SCRATCHNET_PAUSE_ON_FAILURE=1")
	return cmd, gbytes.NewBuffer()
}

// expectGetIn runs the tool in a line the pause printed, with "sh"
// replaced by "ip -o link show", and expects to see the interface.
func expectGetIn(line, iface string) {
	GinkgoHelper()
	args := append(strings.Fields(strings.TrimSuffix(strings.TrimSpace(line), " sh")), "ip", "-o", "link", "show")
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "%s: %s", strings.Join(args, " "), out)
	Expect(string(out)).To(ContainSubstring(": " + iface + "@"))
}

var _ = Describe("pausing a failed spec to look inside", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	It("says once that it cannot pause without a terminal, and does not wait", func() {
		cmd, out := pausingRun("")
		cmd.Stdout, cmd.Stderr = out, out
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		err := cmd.Run()
		Expect(err).To(HaveOccurred(), "the deliberately failing specs fail")
		Expect(out.Contents()).To(ContainSubstring("deliberate failure"))
		Expect(strings.Count(string(out.Contents()), "there is no terminal to wait on")).To(Equal(1), string(out.Contents()))
	})

	for _, resume := range []string{"Enter", "SIGUSR1"} {
		It("prints how to get into each host, waits, and goes on at "+resume, func() {
			master, slave := openPty()
			defer master.Close()
			cmd, out := pausingRun("shows the processes of its hosts")
			cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
			cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
			Expect(cmd.Start()).To(Succeed())
			slave.Close()
			copied := make(chan struct{})
			go func() {
				defer close(copied)
				_, _ = io.Copy(out, master)
			}()
			var waitErr error
			waited := make(chan struct{})
			go func() {
				defer close(waited)
				waitErr = cmd.Wait()
			}()
			DeferCleanup(func() {
				_ = cmd.Process.Kill()
				<-waited
				master.Close()
				<-copied
			})

			Eventually(out).WithTimeout(30 * time.Second).Should(gbytes.Say(`Press Enter here, or send SIGUSR1 or SIGINT \(kill -USR1 (\d+)\)`))
			// The terminal ends lines with CR LF.
			text := strings.ReplaceAll(string(out.Contents()), "\r", "")
			Expect(text).To(ContainSubstring(`paused before its teardown (SCRATCHNET_PAUSE_ON_FAILURE=1)`))
			pid := regexp.MustCompile(`kill -USR1 (\d+)`).FindStringSubmatch(text)[1]
			stat, err := os.ReadFile("/proc/" + pid + "/stat")
			Expect(err).NotTo(HaveOccurred())
			Expect(strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))[1]).To(Equal(fmt.Sprint(cmd.Process.Pid)),
				"the test process is the sandbox parent's child")
			Consistently(waited).WithTimeout(300 * time.Millisecond).ShouldNot(BeClosed())

			// Both ways in work while the spec waits: bob's wire to
			// alice is "alice".
			nsenter := regexp.MustCompile(`(?m)^  host bob \(net:\[\d+\]\):\n    (.*--net=/proc/` + pid + `/fd/\d+ sh)\n    (.*ip netns exec bob sh)$`).FindStringSubmatch(text)
			Expect(nsenter).To(HaveLen(3), text)
			expectGetIn(nsenter[1], "alice")
			expectGetIn(nsenter[2], "alice")
			// tcpdump fails in a user namespace that maps only some users
			// (checked by hand: it cannot change to its own user there), so
			// the pause offers tshark.
			if uidMap, _ := os.ReadFile("/proc/self/uid_map"); strings.Join(strings.Fields(string(uidMap)), " ") != "0 0 4294967295" {
				Expect(text).To(ContainSubstring("\nCapture there with tshark -i IFACE (tcpdump cannot"))
			} else {
				Expect(text).To(ContainSubstring("\nCapture there with tcpdump -n -i IFACE"))
			}

			if resume == "Enter" {
				_, err := master.Write([]byte("\n"))
				Expect(err).NotTo(HaveOccurred())
			} else {
				var testPid int
				fmt.Sscan(pid, &testPid)
				Expect(syscall.Kill(testPid, syscall.SIGUSR1)).To(Succeed())
			}
			Eventually(waited).WithTimeout(30 * time.Second).Should(BeClosed())
			Expect(waitErr).To(HaveOccurred(), "the deliberately failing spec fails")
			Eventually(out).Should(gbytes.Say("deliberate failure"))
		})
	}
})
