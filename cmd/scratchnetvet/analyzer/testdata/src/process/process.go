package process

import (
	"os"
	"os/exec"

	"github.com/scratchnet/scratchnet/netns"
)

func startsInGoroutine(fd int) {
	netns.Execute(fd, func() {
		go func() { // want `goroutine started inside the function passed to netns.Execute starts a process \(exec.Command\("ping", "-c1", "10.0.0.2"\).Run at process.go:13\) from a thread outside the namespace.*start it in the function itself and only wait for it in the goroutine`
			_ = exec.Command("ping", "-c1", "10.0.0.2").Run()
		}()
	})
}

func startsDirectly(fd int, cmd *exec.Cmd) {
	netns.Execute(fd, func() {
		go cmd.Start() // want `starts a process \(cmd.Start at`
	})
}

func forks(fd int) {
	netns.ExecuteT(nil, fd, func() {
		go func() { // want `passed to netns.ExecuteT starts a process \(os.StartProcess at`
			_, _ = os.StartProcess("/bin/true", nil, &os.ProcAttr{})
		}()
	})
}

func startedInNamespace(fd int) {
	netns.Execute(fd, func() {
		cmd := exec.Command("sleep", "1")
		_ = cmd.Start()
		go func() { _ = cmd.Wait() }()
	})
}
