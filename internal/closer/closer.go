// Package closer closes, on goroutines of their own, the files whose close
// the kernel makes slow, so that the test that used them does not wait:
// closing a packet socket waits for an RCU grace period (about 10 ms here,
// whatever else happens). The leak checks of package guard know about it:
// they wait for the closes handed over before they list the open fds and
// goroutines, so a file handed over is checked to be closed like any other,
// and a file never handed over, or never closed, is still a leak.
package closer

import (
	"io"
	"sync"
	"time"
)

var (
	mu      sync.Mutex
	pending int
	idle    = closedChan()
)

func closedChan() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}

// Close closes f on a goroutine of its own and returns at once. Only what
// needs nothing more from the caller may be handed over: the close's error
// is dropped, since Linux frees the descriptor whatever close reports.
func Close(f io.Closer) {
	mu.Lock()
	if pending == 0 {
		idle = make(chan struct{})
	}
	pending++
	mu.Unlock()
	go func() {
		_ = f.Close()
		mu.Lock()
		defer mu.Unlock()
		if pending--; pending == 0 {
			close(idle)
		}
	}()
}

// Wait waits until no close handed to Close is still running, for at most
// d, and reports whether none is.
func Wait(d time.Duration) bool {
	mu.Lock()
	ch := idle
	mu.Unlock()
	select {
	case <-ch:
		return true
	default:
	}
	select {
	case <-ch:
		return true
	case <-time.After(d):
		return false
	}
}
