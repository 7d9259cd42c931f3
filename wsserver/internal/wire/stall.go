package wire

import (
	"sync"
	"sync/atomic"
	"time"
)

// stallTimeout is Qt's idle timeout for an incomplete frame (ws §2.6): a
// frame begun, and no byte of it for this long, fails the connection with
// 1001 "Timeout when reading data from socket.". Nanoseconds; see
// SetStallTimeout.
var stallTimeout atomic.Int64

func init() { stallTimeout.Store(int64(5 * time.Second)) }

// SetStallTimeout changes the incomplete-frame timeout (for tests) and
// returns the previous one.
func SetStallTimeout(d time.Duration) time.Duration {
	return time.Duration(stallTimeout.Swap(int64(d)))
}

// A stallTimer watches a frame the peer has begun. Qt arms its timer each
// time parsing stops inside a frame and stops it on each read; here the
// reads that bring bytes are counted instead, so that a frame costs one
// Reset and one Stop, and a connection between frames has no timer
// running. The time the reader spends waiting for its owner (read-ahead
// full) is not the peer's stall and does not count.
type stallTimer struct {
	c *Conn

	mu       sync.Mutex
	t        *time.Timer
	armed    bool
	fired    bool
	seen     uint64    // reads at the last check
	progress time.Time // when reads last changed, as of the last check
}

func (st *stallTimer) init(c *Conn) { st.c = c }

// update arms the timer while a frame is incomplete and stops it when the
// reader is between frames. Reader goroutine only.
func (st *stallTimer) update(partial bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.fired || partial == st.armed {
		return
	}
	st.armed = partial
	if !partial {
		st.t.Stop()
		return
	}
	d := time.Duration(stallTimeout.Load())
	st.seen, st.progress = st.c.reads.Load(), time.Now()
	if st.t == nil {
		st.t = time.AfterFunc(d, st.check)
		return
	}
	st.t.Reset(d)
}

func (st *stallTimer) stop() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.armed = false
	if st.t != nil {
		st.t.Stop()
	}
}

// check runs when the timer fires: it fails the connection if the frame
// made no progress for the whole timeout while the reader waited for the
// network, else waits for the rest.
func (st *stallTimer) check() {
	d := time.Duration(stallTimeout.Load())
	st.mu.Lock()
	if !st.armed {
		st.mu.Unlock()
		return
	}
	now := time.Now()
	if n := st.c.reads.Load(); n != st.seen || !st.c.inRead.Load() {
		st.seen, st.progress = n, now
	}
	if wait := d - now.Sub(st.progress); wait > 0 {
		st.t.Reset(wait)
		st.mu.Unlock()
		return
	}
	st.armed, st.fired = false, true
	st.mu.Unlock()
	st.c.pushEvents([]Event{{Kind: EventError, Err: &ProtocolError{Code: codeGoingAway, Reason: ReasonStalled}}})
}
