package wire

import (
	"errors"
	"net"
	"sync"
	"syscall"
)

// batchConn is the TCP connection under a Conn. It does what net.Conn has
// no call for:
//
//   - writing without blocking: tryWrite hands bytes to the kernel with one
//     write system call through syscall.RawConn and returns what the kernel
//     took, so the owner's loop writes itself when the peer keeps up and
//     needs no writer goroutine;
//   - gathering: while corked, writes are kept in memory and go out
//     together (TLS encrypts a batch into it, then the loop flushes it
//     without blocking);
//   - counting what went to the kernel, for BytesWritten.
//
// Only the Conn's owner writes (its loop, or its writer goroutine while
// one runs), with one exception: crypto/tls may answer from Read (a TLS 1.3
// key update); such a write joins the gathered bytes while corked.
type batchConn struct {
	net.Conn
	raw syscall.RawConn // nil if the connection has no descriptor

	mu      sync.Mutex
	corked  bool
	closed  bool
	buf     []byte  // gathered bytes
	box     *[]byte // buf's box from bufPool; nil when buf is
	written int64   // bytes handed to the kernel since the last count
}

// bufPool holds the buffers frames are queued and batches gathered in.
// They go back to the pool once written, so that an idle connection holds
// none and a busy one does not grow a fresh buffer for every batch.
var bufPool = newBufferPool()

func getBuf() *[]byte { return bufPool.get() }

// putBuf recycles a box whose buffer is now b. The box keeps the larger
// array of the two: b may have grown past it (append moved it) or be the
// rest of it after a partial write.
func putBuf(box *[]byte, b []byte) {
	if box == nil {
		return
	}
	if cap(b) > cap(*box) {
		*box = b
	}
	bufPool.put(box)
}

func newBatchConn(c net.Conn) *batchConn {
	bc := &batchConn{Conn: c}
	if sc, ok := c.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			bc.raw = raw
		}
	}
	return bc
}

// Write gathers p while corked, else writes it through and counts it.
func (c *batchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
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

// Close closes the connection; later writes fail with net.ErrClosed.
func (c *batchConn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	return c.Conn.Close()
}

// cork starts gathering.
func (c *batchConn) cork() {
	c.mu.Lock()
	c.corked = true
	c.mu.Unlock()
}

// gathered returns the bytes gathered while corked, and uncorks.
func (c *batchConn) uncork() (b []byte, box *[]byte) {
	c.mu.Lock()
	b, box = c.buf, c.box
	c.buf, c.box, c.corked = nil, nil, false
	c.mu.Unlock()
	return b, box
}

// tryWrite makes one non-blocking write system call of p; the kernel takes
// what fits. It needs raw.
func (c *batchConn) tryWrite(p []byte) (int, error) {
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
	c.mu.Lock()
	c.written += int64(n)
	c.mu.Unlock()
	return n, err
}

// count returns the bytes handed to the kernel since the last count.
func (c *batchConn) count() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.written
	c.written = 0
	return n
}

// CloseWrite shuts the connection's sending side (TCP FIN).
func (c *batchConn) CloseWrite() error {
	c.closeWrite()
	return nil
}

// closeWrite shuts the connection's sending side (TCP FIN).
func (c *batchConn) closeWrite() {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
		return
	}
	_ = c.Close()
}
