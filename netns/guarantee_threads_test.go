package netns_test

import (
	"errors"
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/testsupport"
	"github.com/scratchnet/scratchnet/netns"
)

// The failure path (switching back fails, the thread stays locked and is
// retired) is proven in internal/nsops/guarantee_threads_test.go, where the
// switch back can be made to fail.
var _ = Describe("guarantee: a goroutine's OS thread never goes back to the Go scheduler in a foreign namespace", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	// expectAllHome checks that 100 fresh goroutines, and every thread of
	// the process, are in the original namespace, and that the thread that
	// was in the foreign one is still alive there: it went back to the pool
	// rather than being retired.
	expectAllHome := func(orig uint64, tid int) {
		GinkgoHelper()
		Expect(netns.CurrentIno()).To(Equal(orig))
		Expect(inosOfFreshGoroutines(100)).To(Equal(map[uint64]int{orig: 100}))
		for t, ino := range testsupport.ThreadNetnsInos() {
			Expect(ino).To(Equal(orig), "thread %d", t)
		}
		var st unix.Stat_t
		Expect(unix.Stat(fmt.Sprintf("/proc/self/task/%d/ns/net", tid), &st)).To(Succeed())
		Expect(st.Ino).To(Equal(orig))
	}

	It("restores the caller's namespace when fn panics inside Execute, and lets the panic through", func() {
		orig := netns.CurrentIno()
		fd := netns.NewTransient()
		boom := errors.New("boom")
		var tid int
		Expect(func() {
			netns.Execute(fd, func() {
				tid = unix.Gettid()
				panic(boom)
			})
		}).To(PanicWith(boom))
		expectAllHome(orig, tid)
	})

	It("leaves every thread in the original namespace after Execute", func() {
		orig := netns.CurrentIno()
		fd := netns.NewTransient()
		var tid int
		var inside uint64
		netns.Execute(fd, func() { tid, inside = unix.Gettid(), netns.CurrentIno() })
		Expect(inside).To(Equal(netns.Ino(fd)))
		expectAllHome(orig, tid)
	})

	It("leaves every thread in the original namespace after EnterTransient's restore func", func() {
		orig := netns.CurrentIno()
		restore := netns.EnterTransient()
		tid, inside := unix.Gettid(), netns.CurrentIno()
		restore()
		Expect(inside).NotTo(Equal(orig))
		expectAllHome(orig, tid)
	})
})
