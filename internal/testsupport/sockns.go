package testsupport

import (
	"syscall"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"
)

// SocketNsIno asks the kernel which network namespace the socket of c (a
// net.Conn, net.Listener or net.PacketConn of package net) lives in:
// SIOCGSKNS gives an fd for it. The answer does not depend on the thread
// that asks, which is what specs of namespace-bound sockets need.
func SocketNsIno(c any) uint64 {
	GinkgoHelper()
	rc, err := c.(syscall.Conn).SyscallConn()
	Expect(err).NotTo(HaveOccurred())
	var ino uint64
	var ierr error
	Expect(rc.Control(func(fd uintptr) {
		nsfd, err := unix.IoctlRetInt(int(fd), unix.SIOCGSKNS)
		if err != nil {
			ierr = err
			return
		}
		defer unix.Close(nsfd)
		var st unix.Stat_t
		ierr = unix.Fstat(nsfd, &st)
		ino = st.Ino
	})).To(Succeed())
	Expect(ierr).NotTo(HaveOccurred(), "cannot ask which network namespace a socket lives in")
	return ino
}
