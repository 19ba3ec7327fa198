package netns_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// helperEnv makes the test binary, re-executed, act as a small server or
// tool instead of running tests (see init below): the specs need processes
// to start in namespaces without depending on system tools.
const helperEnv = "SCRATCHNET_NETNS_HELPER"

// helper returns a command that re-executes the test binary as the helper
// named by mode, with args.
func helper(mode string, args ...string) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Args[0] = "netns-helper-" + mode
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	return cmd
}

func init() {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		return
	}
	os.Exit(runHelper(mode, os.Args[1:]))
}

func runHelper(mode string, args []string) int {
	switch mode {
	case "serve-tcp":
		ln, err := net.Listen("tcp", args[0])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println("listening on", ln.Addr())
		for {
			conn, err := ln.Accept()
			if err != nil {
				return 1
			}
			go func() {
				defer conn.Close()
				line, _ := bufio.NewReader(conn).ReadString('\n')
				fmt.Fprintf(conn, "echo %s", line)
			}()
		}
	case "serve-udp":
		pc, err := net.ListenPacket("udp", args[0])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println("listening on", pc.LocalAddr())
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return 1
			}
			pc.WriteTo(append([]byte("echo "), buf[:n]...), from)
		}
	case "stubborn":
		// A daemon that ignores SIGTERM and forks a grandchild that
		// ignores it too.
		signal.Ignore(syscall.SIGTERM)
		child := helper("stubborn-child")
		child.Stdout = os.Stdout
		if err := child.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Printf("daemon %d grandchild %d\n", os.Getpid(), child.Process.Pid)
		sleep()
	case "stubborn-child":
		signal.Ignore(syscall.SIGTERM)
		sleep()
	case "netns":
		var st syscall.Stat_t
		if err := syscall.Stat("/proc/self/ns/net", &st); err != nil {
			return 1
		}
		fmt.Println(st.Ino)
	case "pgid":
		fmt.Println(os.Getpid(), syscall.Getpgrp())
	case "sys-class-net":
		entries, err := os.ReadDir("/sys/class/net")
		if err != nil {
			return 1
		}
		for _, e := range entries {
			// Devices are links; bonding_masters, for one, is a file.
			if e.Type()&os.ModeSymlink != 0 {
				fmt.Println(e.Name())
			}
		}
	case "fail":
		fmt.Println("some output")
		fmt.Fprintln(os.Stderr, "something went wrong")
		return 3
	case "spew":
		line := strings.Repeat("x", 99) + "\n"
		for range 2000 {
			os.Stdout.WriteString(line)
		}
		fmt.Println("the end")
	case "sleep":
		sleep()
	default:
		fmt.Fprintln(os.Stderr, "unknown helper mode", mode)
		return 2
	}
	return 0
}

// sleep blocks for good. A bare select{} would not: in a binary without cgo
// the runtime calls that a deadlock and exits.
func sleep() {
	for {
		time.Sleep(time.Hour)
	}
}
