package wsserver

import (
	"net"
	"sync"
)

// batchConn wraps the TCP connection under a coder/websocket Conn. It does
// two jobs the library has no hook for:
//
//   - batching: while corked, writes are gathered in memory and go out in
//     one write when uncorked, so the messages a socket's writer drains in one
//     go leave in one TCP segment train instead of one syscall each, as Qt's
//     buffered QTcpSocket does;
//   - raw frames: a ping with a chosen payload is written between two
//     messages (the library can only send its own ping payloads).
type batchConn struct {
	net.Conn

	mu      sync.Mutex
	corked  bool
	buf     []byte
	written int64 // bytes handed to the kernel, for BytesWritten
}

func newBatchConn(c net.Conn) *batchConn { return &batchConn{Conn: c} }

// Write gathers p while corked, else writes it through.
func (c *batchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.corked {
		c.buf = append(c.buf, p...)
		c.mu.Unlock()
		return len(p), nil
	}
	c.mu.Unlock()
	n, err := c.Conn.Write(p)
	c.mu.Lock()
	c.written += int64(n)
	c.mu.Unlock()
	return n, err
}

func (c *batchConn) cork() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.corked = true
	c.mu.Unlock()
}

// uncork writes what was gathered and returns the total bytes written to
// the kernel since the last call.
func (c *batchConn) uncork() (int64, error) {
	if c == nil {
		return 0, nil
	}
	c.mu.Lock()
	buf := c.buf
	c.buf, c.corked = c.buf[:0], false
	c.mu.Unlock()
	var err error
	if len(buf) > 0 {
		var n int
		n, err = c.Conn.Write(buf)
		c.mu.Lock()
		c.written += int64(n)
		c.mu.Unlock()
	}
	if cap(buf) > 64<<10 {
		c.mu.Lock()
		c.buf = nil // do not keep a large buffer on an idle socket
		c.mu.Unlock()
	}
	c.mu.Lock()
	n := c.written
	c.written = 0
	c.mu.Unlock()
	return n, err
}

// writeRaw queues a ready-made frame in the batch (the writer goroutine
// calls it between two messages, so it never splits a frame).
func (c *batchConn) writeRaw(frame []byte) error {
	_, err := c.Write(frame)
	return err
}
