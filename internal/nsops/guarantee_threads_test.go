package nsops_test

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/nsops"
)

// failedReturn is what a goroutine saw after switching back out of a
// foreign namespace failed.
type failedReturn struct {
	tid      int    // the thread that was in the foreign namespace
	tidAfter int    // the thread the goroutine ran on afterwards
	inoAfter uint64 // that thread's network namespace
	err      error  // what the failed switch back returned
}

// threadNetnsIno is the network namespace of the calling thread.
func threadNetnsIno() uint64 {
	var st unix.Stat_t
	if err := unix.Stat("/proc/thread-self/ns/net", &st); err != nil {
		panic(err)
	}
	return st.Ino
}

// offMainThread runs fn on a fresh goroutine that is not on the process's
// main thread, and waits for it. Any goroutine may run on the main thread,
// but the runtime cannot retire it: a goroutine ending locked to it parks
// the main thread for good instead, so a spec would wait in vain for that
// thread to go. The goroutine stays locked while fn runs, so that a thread
// fn leaves locked is still locked when the goroutine ends.
func offMainThread(fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if unix.Gettid() == unix.Getpid() {
			// While this goroutine holds the main thread, no other
			// goroutine can run on it.
			offMainThread(fn)
			return
		}
		fn()
	}()
	<-done
}

// failReturn runs enterAndFail on a goroutine of its own, which must switch
// its thread into a foreign namespace and then fail to switch back,
// records the error and what the thread looks like afterwards, and lets
// the goroutine end.
func failReturn(enterAndFail func(tid *int) error) failedReturn {
	var r failedReturn
	offMainThread(func() {
		r.err = enterAndFail(&r.tid)
		r.tidAfter = unix.Gettid()
		r.inoAfter = threadNetnsIno()
	})
	return r
}

// gone waits for the thread tid to end.
func gone(tid int, why string) {
	GinkgoHelper()
	task := fmt.Sprintf("/proc/self/task/%d", tid)
	Eventually(func() error { _, err := os.Stat(task); return err }).
		WithTimeout(5*time.Second).Should(MatchError(os.ErrNotExist), why)
}

var _ = Describe("guarantee: a goroutine's OS thread never goes back to the Go scheduler in a foreign namespace", func() {

	BeforeEach(guard.SkipUnlessPrivileged)

	var foreign int
	var foreignIno uint64
	refused := errors.New("setns refused on purpose")
	refuse := func(int) error { return refused }

	BeforeEach(func() {
		var err error
		foreign, err = nsops.Unshare()
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(unix.Close, foreign)
		foreignIno, err = nsops.Ino(foreign)
		Expect(err).NotTo(HaveOccurred())
	})

	// expectRetired checks the outcome of a failed switch back: the error
	// wraps ErrRestore, the goroutine stayed on its thread (locked), in the
	// foreign namespace, and that thread is gone once the goroutine ended.
	// Were it unlocked, it would stay alive, parked for the next goroutine;
	// Guard's check of every thread's namespace would then fail too.
	expectRetired := func(r failedReturn) {
		GinkgoHelper()
		Expect(r.err).To(MatchError(nsops.ErrRestore))
		Expect(r.err).To(MatchError(refused))
		Expect(r.tid).NotTo(BeZero())
		Expect(r.tidAfter).To(Equal(r.tid), "the goroutine left its thread, so the thread was unlocked")
		Expect(r.inoAfter).To(Equal(foreignIno))
		gone(r.tid, fmt.Sprintf("thread %d, left in net:[%d], was not retired", r.tid, foreignIno))
	}

	It("keeps the thread locked and retires it when Execute's switch back fails, returning an error", func() {
		r := failReturn(func(tid *int) error {
			return nsops.DoRestoringWith(foreign, func() { *tid = unix.Gettid() }, refuse)
		})
		expectRetired(r)
	})

	It("keeps the calling goroutine's thread locked and retires it when RunForTest's switch back fails, returning an error", func() {
		r := failReturn(func(tid *int) error {
			return nsops.RunForTestRestoringWith(foreign, func() { *tid = unix.Gettid() }, refuse)
		})
		expectRetired(r)
	})

	It("does a test's work on the calling goroutine's thread with RunForTest, and leaves it unlocked and home", func() {
		before := threadNetnsIno()
		var caller, worker, after int
		var inside, home uint64
		var err error
		offMainThread(func() {
			caller = unix.Gettid()
			err = nsops.RunForTest(foreign, func() { worker, inside = unix.Gettid(), threadNetnsIno() })
			after, home = unix.Gettid(), threadNetnsIno()
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(worker).To(Equal(caller), "the work went to another thread")
		Expect(after).To(Equal(caller))
		Expect(inside).To(Equal(foreignIno))
		Expect(home).To(Equal(before))
		// Guard checks that no thread was left locked in a foreign
		// namespace: offMainThread's goroutine unlocks its own lock only.
	})

	It("does RunForTest's work without a switch when the thread is in that namespace already", func() {
		var err error
		offMainThread(func() {
			err = nsops.DoRestoringWith(foreign, func() {
				cur, oerr := nsops.OpenCurrent()
				Expect(oerr).NotTo(HaveOccurred())
				defer unix.Close(cur)
				// A switch would have to be undone, and undoing it fails.
				Expect(nsops.RunForTestRestoringWith(cur, func() {}, refuse)).To(Succeed())
			}, func(orig int) error { return unix.Setns(orig, unix.CLONE_NEWNET) })
		})
		Expect(err).NotTo(HaveOccurred())
	})

	It("keeps the thread locked and retires it when EnterTransient's restore func fails, returning an error", func() {
		r := failReturn(func(tid *int) error {
			// What EnterTransient does before handing out its restore func.
			runtime.LockOSThread()
			orig, err := nsops.OpenCurrent()
			Expect(err).NotTo(HaveOccurred())
			Expect(unix.Setns(foreign, unix.CLONE_NEWNET)).To(Succeed())
			*tid = unix.Gettid()
			return nsops.LeaveRestoringWith(orig, refuse)
		})
		expectRetired(r)
	})

	It("does the library's own work on a thread of its own, which is retired when it cannot switch back, and leaves the caller's thread alone", func() {
		before := threadNetnsIno()
		var worker int
		var inside uint64
		var err error
		offMainThread(func() {
			caller := unix.Gettid()
			err = nsops.RunRestoringWith(foreign, func() { worker, inside = unix.Gettid(), threadNetnsIno() }, refuse)
			Expect(unix.Gettid()).To(Equal(caller))
			Expect(threadNetnsIno()).To(Equal(before), "the caller's thread changed namespace")
			Expect(worker).NotTo(Equal(caller), "the work ran on the caller's thread")
		})
		Expect(err).To(MatchError(nsops.ErrRestore))
		Expect(err).To(MatchError(refused))
		Expect(inside).To(Equal(foreignIno))
		gone(worker, fmt.Sprintf("thread %d, left in net:[%d], was not retired", worker, foreignIno))
	})

	It("creates a namespace on a thread of its own, which is retired when it cannot switch back, and leaks no fd", func() {
		before := threadNetnsIno()
		fd, err := nsops.UnshareRestoringWith(refuse)
		Expect(err).To(MatchError(nsops.ErrRestore))
		Expect(fd).To(Equal(-1))
		Expect(threadNetnsIno()).To(Equal(before))
		// Guard checks that the thread was retired and no fd leaked.
	})

	It("creates a namespace for a test on the calling goroutine, which stays locked when it cannot switch back, so that its thread is retired with it", func() {
		before := threadNetnsIno()
		var fd int
		var err error
		var stuck uint64
		offMainThread(func() {
			fd, err = nsops.UnshareForTestRestoringWith(refuse)
			stuck = threadNetnsIno()
		})
		Expect(err).To(MatchError(nsops.ErrRestore))
		Expect(fd).To(Equal(-1))
		Expect(stuck).NotTo(Equal(before), "the goroutine's thread is still in the new namespace")
		Expect(threadNetnsIno()).To(Equal(before))
		// Guard checks that the stuck thread was retired and no fd leaked.
	})

	It("creates a namespace for a test on the calling goroutine and leaves it unlocked and home", func() {
		before := threadNetnsIno()
		var fd int
		var err error
		var after uint64
		offMainThread(func() {
			fd, err = nsops.UnshareForTest(nil)
			after = threadNetnsIno()
		})
		Expect(err).NotTo(HaveOccurred())
		defer unix.Close(fd)
		Expect(after).To(Equal(before))
		Expect(nsops.Ino(fd)).NotTo(Equal(before))
	})

	It("lets a panic of the work through to the caller of Run, with the thread back home", func() {
		Expect(func() { _ = nsops.Run(foreign, func() { panic("boom") }) }).To(PanicWith("boom"))
	})

	It("unlocks the thread, back in its namespace, when switching back succeeds", func() {
		var tid int
		var inside uint64
		before := threadNetnsIno()
		var err error
		offMainThread(func() {
			err = nsops.Do(foreign, func() { tid, inside = unix.Gettid(), threadNetnsIno() })
		})
		Expect(err).To(Succeed())
		Expect(inside).To(Equal(foreignIno))
		// The thread outlives its goroutine (it went back to the pool) and
		// is back in the original namespace.
		Consistently(func() (uint64, error) {
			var st unix.Stat_t
			err := unix.Stat(fmt.Sprintf("/proc/self/task/%d/ns/net", tid), &st)
			return st.Ino, err
		}).WithTimeout(200 * time.Millisecond).Should(Equal(before))
	})
})
