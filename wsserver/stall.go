package wsserver

import (
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// partialMessageTimeout is Qt's idle timeout for an incomplete message
// (ws §2.6): a message begun, and no byte of it for this long, closes the
// socket with 1001 "Timeout when reading data from socket.". Nanoseconds,
// changed by the tests only.
var partialMessageTimeout atomic.Int64

func init() { partialMessageTimeout.Store(int64(5 * time.Second)) }

// stallTimeoutReason is Qt's close reason for a stalled message.
const stallTimeoutReason = "Timeout when reading data from socket."

// A stallTimer watches the message being read. It counts the reads that
// bring bytes (on the TCP connection when the session has one, so that a
// frame trickling in counts, else message by message) rather than
// resetting a timer on each, so that a message costs one Reset and one
// Stop; an idle socket, between messages, has no timer running. Qt arms
// its timer whenever parsing stalls mid-frame; here the watch begins once
// a message's first frame header is in, so a peer that stops inside that
// header is treated as idle.
type stallTimer struct {
	own atomic.Uint64 // reads counted by progressReader, without a batchConn

	mu       sync.Mutex
	t        *time.Timer
	s        *session
	reads    *atomic.Uint64 // the batchConn's read count, or own
	reading  bool           // a message has begun and is not complete
	seen     uint64         // reads at the last check
	progress time.Time      // when reads last changed, as of the last check
}

// start begins watching a message of s.
func (st *stallTimer) start(s *session) {
	d := time.Duration(partialMessageTimeout.Load())
	st.mu.Lock()
	if st.t == nil {
		st.s, st.reads = s, &st.own
		if s.bc != nil {
			st.reads = &s.bc.reads
		}
	}
	st.reading, st.seen, st.progress = true, st.reads.Load(), time.Now()
	if st.t == nil {
		st.t = time.AfterFunc(d, st.check)
		st.mu.Unlock()
		return
	}
	st.mu.Unlock()
	st.t.Reset(d)
}

// stop ends the watch of the message.
func (st *stallTimer) stop() {
	st.mu.Lock()
	st.reading = false
	st.mu.Unlock()
	st.t.Stop()
}

// check runs when the timer fires: it closes the socket if the message
// made no progress for the whole timeout, else waits for the rest of it.
func (st *stallTimer) check() {
	d := time.Duration(partialMessageTimeout.Load())
	st.mu.Lock()
	if !st.reading {
		st.mu.Unlock()
		return
	}
	now := time.Now()
	if n := st.reads.Load(); n != st.seen {
		st.seen, st.progress = n, now
	}
	if wait := d - now.Sub(st.progress); wait > 0 {
		st.mu.Unlock()
		st.t.Reset(wait)
		return
	}
	st.reading = false
	s := st.s
	st.mu.Unlock()
	ws := s.ws
	ws.post(func() { ws.protocolError(s, CloseCodeGoingAway, stallTimeoutReason) })
}

// progressReader counts the reads of a message that return bytes, for a
// session without a batchConn (mounted on a program's mux).
type progressReader struct {
	r  io.Reader
	st *stallTimer
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.st.own.Add(1)
	}
	return n, err
}
