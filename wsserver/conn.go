package wsserver

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
)

// batchConn wraps the TCP connection under a coder/websocket Conn. It does
// two jobs the library has no hook for:
//
//   - batching: while corked, writes are gathered in memory and go out
//     together, so the messages a socket sends in one loop iteration leave in
//     one write instead of one syscall each, as Qt's buffered QTcpSocket does;
//   - writing on the loop: tryFlush hands the gathered bytes to the kernel
//     without blocking (one write system call through syscall.RawConn), so a
//     socket whose peer keeps up needs no writer goroutine; what the kernel
//     does not take stays corked for the writer goroutine's flush.
//
// Writes the socket's owner (its loop, or its writer goroutine) did not
// start, such as the pongs and close echoes coder/websocket writes from the
// reading goroutine, join the gathered bytes while corked; while the owner
// is flushing and heldLimit bytes wait, they block, so that a peer which
// sends pings and never reads is throttled rather than buffered without end.
type batchConn struct {
	net.Conn
	raw syscall.RawConn // nil if the connection has no descriptor

	mu        sync.Mutex
	drained   sync.Cond // buf shrank, gathering began, or the conn closed
	corked    bool      // writes are gathered in buf
	gathering bool      // the owner is adding a batch: never block a write
	direct    int       // writes under way straight to Conn
	closed    bool
	buf       []byte  // gathered bytes
	box       *[]byte // buf's box from bufPool; nil when buf is
	written   int64   // bytes handed to the kernel, for BytesWritten
	session   bool    // the WebSocket session has begun: count what is written

	reads  atomic.Uint64          // reads that brought bytes, for the stall timer
	onRead atomic.Pointer[func()] // called before each read (session.postInbox)
	eof    atomic.Bool            // a read met the end of the peer's stream (peerEnded)
}

// bufPool holds the buffers batches and queued frames are gathered in.
// They go back to the pool once written, so that an idle socket holds none
// and a busy one does not grow a fresh buffer for every batch.
var bufPool = newBufferPool()

func getBuf() *[]byte { return bufPool.get() }

// putBuf recycles a box whose buffer is now b. The box holds the largest
// array its buffer has had; b may have grown past it (append moved it) or
// be the rest of it after a partial write (resliced from the front), and
// the box keeps whichever has more room.
func putBuf(box *[]byte, b []byte) {
	if box == nil {
		return
	}
	if cap(b) > cap(*box) {
		*box = b
	}
	bufPool.put(box)
}

// heldLimit is how many gathered bytes make a write the owner did not start
// wait for the flush.
const heldLimit = 64 << 10

func newBatchConn(c net.Conn) *batchConn {
	bc := &batchConn{Conn: c}
	bc.drained.L = &bc.mu
	if sc, ok := c.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			bc.raw = raw
		}
	}
	return bc
}

// Read reads from the connection and counts the reads that bring bytes.
// It first calls the onRead hook: the reader has parsed everything that
// was buffered, so the messages it gathered go to the loop before it may
// block.
func (c *batchConn) Read(p []byte) (int, error) {
	if f := c.onRead.Load(); f != nil {
		(*f)()
	}
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.reads.Add(1)
	}
	if err == io.EOF {
		c.eof.Store(true)
	}
	return n, err
}

// Write gathers p while corked, else writes it through.
func (c *batchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	for c.corked && !c.gathering && !c.closed && len(c.buf) >= heldLimit {
		c.drained.Wait()
	}
	if c.closed {
		c.mu.Unlock()
		return 0, net.ErrClosed
	}
	if c.corked {
		if c.box == nil {
			c.box = getBuf()
			c.buf = *c.box
		}
		c.buf = append(c.buf, p...)
		if cap(c.buf) > cap(*c.box) {
			*c.box = c.buf // grown: the box keeps the larger array
		}
		c.mu.Unlock()
		return len(p), nil
	}
	c.direct++
	counted := c.session // a handshake write may end after the session began
	c.mu.Unlock()
	n, err := c.Conn.Write(p)
	c.mu.Lock()
	if counted {
		c.written += int64(n)
	}
	c.direct--
	c.mu.Unlock()
	return n, err
}

// writeOwned adds the owner's ready-made frames, p in its pooled box, to
// the batch; it takes the box. When nothing is gathered yet, p becomes the
// batch's buffer instead of being copied into one.
func (c *batchConn) writeOwned(p []byte, box *[]byte) error {
	c.mu.Lock()
	if !c.corked || c.closed || len(c.buf) > 0 {
		c.mu.Unlock()
		_, err := c.Write(p)
		putBuf(box, p)
		return err
	}
	if c.box != nil {
		putBuf(c.box, c.buf)
	}
	if cap(p) > cap(*box) {
		*box = p
	}
	c.buf, c.box = p, box
	c.mu.Unlock()
	return nil
}

// Close closes the connection and releases the writes waiting for a flush.
func (c *batchConn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.drained.Broadcast()
	c.mu.Unlock()
	return c.Conn.Close()
}

// cork starts gathering the owner's batch.
func (c *batchConn) cork() {
	c.mu.Lock()
	c.corked, c.gathering = true, true
	c.drained.Broadcast()
	c.mu.Unlock()
}

// tryCork corks for a batch the loop will write with tryFlush. It reports
// false, corking nothing, when that could block: the connection has no
// descriptor to write without blocking, or a write is under way (it may
// hold coder/websocket's frame lock while the kernel's buffer is full).
func (c *batchConn) tryCork() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.raw == nil || c.direct > 0 || c.corked || c.closed {
		return false
	}
	c.corked, c.gathering = true, true
	c.drained.Broadcast()
	return true
}

// tryFlush writes what was gathered with one non-blocking write. What the
// kernel did not take (left bytes) stays corked, in order, for flush. It
// returns the bytes written since the last count.
func (c *batchConn) tryFlush() (left int, written int64, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gathering = false
	if len(c.buf) > 0 && !c.closed {
		var n int
		n, err = c.writeNonBlocking(c.buf)
		c.written += int64(n)
		c.buf = c.buf[n:] // not moved: the loop must not copy a large rest
	}
	if len(c.buf) == 0 || err != nil {
		c.buf = c.buf[:0] // on an error, what is left will never go
		c.uncorkLocked()
	}
	written, c.written = c.written, 0
	return len(c.buf), written, err
}

// writeNonBlocking makes one write system call; the kernel takes what fits.
func (c *batchConn) writeNonBlocking(p []byte) (int, error) {
	var n int
	var werr error
	err := c.raw.Write(func(fd uintptr) bool {
		for {
			n, werr = syscall.Write(int(fd), p)
			if werr != syscall.EINTR {
				return true
			}
		}
	})
	if n < 0 {
		n = 0
	}
	if errors.Is(werr, syscall.EAGAIN) {
		werr = nil
	}
	if err == nil {
		err = werr
	}
	return n, err
}

// flush writes what was gathered, blocking until the kernel has taken it
// all, and uncorks. Writes that arrive meanwhile join the next round. It
// returns the bytes written since the last count.
func (c *batchConn) flush() (int64, error) {
	if c == nil {
		return 0, nil
	}
	c.mu.Lock()
	c.gathering = false
	var err error
	for len(c.buf) > 0 && err == nil {
		out, box := c.buf, c.box
		c.buf, c.box = nil, nil
		c.mu.Unlock()
		var n int
		n, err = c.Conn.Write(out)
		putBuf(box, out)
		c.mu.Lock()
		c.written += int64(n)
		c.drained.Broadcast()
	}
	if err != nil {
		c.buf = c.buf[:0]
	}
	c.uncorkLocked()
	written := c.written
	c.written = 0
	c.mu.Unlock()
	return written, err
}

func (c *batchConn) uncorkLocked() {
	c.corked, c.gathering = false, false
	if c.box != nil {
		putBuf(c.box, c.buf)
	}
	c.buf, c.box = nil, nil
	c.drained.Broadcast()
}
