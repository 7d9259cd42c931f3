package wire

import (
	"encoding/binary"
	"time"
)

// The write side: what the owner sends is framed at once into the queue
// (the one copy of the payload) and written at the end of the owner's
// iteration, on the owner's goroutine when the kernel takes it all, else
// by a writer goroutine that waits for the peer and ends when the queue is
// empty. Everything queued in one iteration leaves in one write.

// SendText queues a text message split into frames of frameSize bytes.
// It reports false when that takes the queue past limit (limit <= 0: no
// limit); the message is queued all the same. Safe from any goroutine.
func (c *Conn) SendText(msg string, frameSize int, limit int64) bool {
	return send(c, OpText, msg, frameSize, limit)
}

// SendBinary is SendText for a binary message.
func (c *Conn) SendBinary(msg []byte, frameSize int, limit int64) bool {
	return send(c, OpBinary, msg, frameSize, limit)
}

func send[T string | []byte](c *Conn, op byte, msg T, frameSize int, limit int64) bool {
	masked := !c.server
	if c.compress != nil {
		// A compressed message is one frame, RSV1 set (RFC 7692 §6); it is
		// compressed under the queue's lock, so that the compressor's
		// context follows the order messages are queued in.
		return c.enqueue(limit, func(b []byte) []byte {
			payload := c.compress.compress(nil, []byte(msg))
			return appendFrames(b, op, payload, len(payload), masked, true)
		})
	}
	return c.enqueue(limit, func(b []byte) []byte {
		return appendFrames(b, op, msg, frameSize, masked, false)
	})
}

// WriteRaw queues bytes that are not a frame (a server's handshake
// answer, which Qt writes into its socket's buffer too): they go out
// before everything queued later, and count in BytesToWrite.
func (c *Conn) WriteRaw(b []byte) {
	c.enqueue(0, func(out []byte) []byte { return append(out, b...) })
}

// Ping queues a ping (payload cut to 125 bytes). Safe from any goroutine.
func (c *Conn) Ping(payload []byte) { c.queueControl(OpPing, payload) }

func (c *Conn) queueControl(op byte, payload []byte) {
	if len(payload) > MaxControlPayload {
		payload = payload[:MaxControlPayload]
	}
	c.enqueue(0, func(b []byte) []byte { return appendFrame(b, finBit|op, payload, !c.server) })
}

// Close queues a close frame with code and reason after everything queued,
// writes what it can at once and shuts the connection's sending side when
// all of it is out; nothing more is delivered. It reports whether that is
// done already (the usual case: the kernel took it all); otherwise the
// Handler's Closed follows. A second Close adds nothing.
func (c *Conn) Close(code uint16, reason string) (done bool) {
	c.stopDelivering()
	c.wmu.Lock()
	if c.shut || c.dead {
		done = c.shutDone || c.dead
		c.wmu.Unlock()
		return done
	}
	if len(reason) > MaxControlPayload-2 {
		reason = reason[:MaxControlPayload-2]
	}
	payload := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(reason)), code)
	payload = append(payload, reason...)
	c.frameLocked(func(b []byte) []byte { return appendFrame(b, finBit|OpClose, payload, !c.server) })
	c.shut = true
	c.inlineClose = true
	c.wmu.Unlock()
	c.flushEvent()
	c.wmu.Lock()
	done = c.shutDone || c.dead
	c.inlineClose = false
	c.wmu.Unlock()
	return done
}

// Flush writes what is queued now instead of at the end of the iteration.
// It reports whether anything was queued.
func (c *Conn) Flush() bool {
	c.wmu.Lock()
	n := len(c.out)
	c.wmu.Unlock()
	if n > 0 {
		if c.runner.IsCurrent() {
			c.flushEvent()
		} else {
			c.runner.Post(c.flushFn)
		}
	}
	return n > 0
}

// BytesToWrite returns the bytes queued and not yet handed to the kernel.
// Safe from any goroutine.
func (c *Conn) BytesToWrite() int64 {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.queued
}

// enqueue appends the frames build makes to the queue and makes sure a
// write follows.
func (c *Conn) enqueue(limit int64, build func([]byte) []byte) bool {
	c.wmu.Lock()
	if c.shut || c.dead {
		c.wmu.Unlock()
		return true
	}
	c.frameLocked(build)
	over := limit > 0 && c.queued > limit
	post := !c.writing && !c.flushPosted
	if post {
		c.flushPosted = true
	}
	c.wmu.Unlock()
	if post {
		c.runner.PostLow(c.flushFn)
	}
	return !over
}

// frameLocked appends build's frames to the queue; wmu is held.
func (c *Conn) frameLocked(build func([]byte) []byte) {
	if c.outBox == nil {
		c.outBox = getBuf()
		c.out = *c.outBox
	}
	before := len(c.out)
	c.out = build(c.out)
	c.queued += int64(len(c.out) - before)
}

func (c *Conn) dropQueueLocked() {
	putBuf(c.outBox, c.out)
	c.out, c.outBox, c.queued = nil, nil, 0
}

// takeLocked takes the queue for a write.
func (c *Conn) takeLocked() ([]byte, *[]byte) {
	b, box := c.out, c.outBox
	c.out, c.outBox = nil, nil
	return b, box
}

// flushEvent writes the queue on the owner's goroutine. When the kernel
// takes it all at once (a peer that keeps up) that is the end of it, as Qt
// writes from its thread; what it does not take goes to a writer
// goroutine.
func (c *Conn) flushEvent() {
	c.wmu.Lock()
	c.flushPosted = false
	if c.writing || c.dead {
		c.wmu.Unlock()
		return
	}
	if len(c.out) == 0 {
		shutNow := c.claimShutLocked()
		c.wmu.Unlock()
		if shutNow {
			c.shutWrite()
		}
		return
	}
	if c.bc == nil || c.bc.raw == nil {
		c.writing = true
		c.wg.Add(1)
		c.wmu.Unlock()
		go c.writeLoop(nil, nil, 0)
		return
	}
	batch, box := c.takeLocked()
	c.writing = true
	c.wmu.Unlock()

	var rest []byte
	var restBox *[]byte
	var framesLeft int64
	var err error
	if c.tls == nil {
		var n int
		n, err = c.bc.tryWrite(batch)
		rest, restBox = batch[n:], box
		framesLeft = int64(len(rest))
	} else {
		// TLS encrypts the batch into the corked connection; the loop
		// then hands the records to the kernel without blocking.
		c.bc.cork()
		_, err = c.tls.Write(batch)
		enc, encBox := c.bc.uncork()
		putBuf(box, batch)
		if err == nil {
			var n int
			n, err = c.bc.tryWrite(enc)
			rest, restBox = enc[n:], encBox
		} else {
			putBuf(encBox, enc)
		}
		if len(rest) > 0 {
			framesLeft = int64(len(batch)) // counted until their records are out
		}
	}
	c.wmu.Lock()
	if !c.dead {
		c.queued -= int64(len(batch)) - framesLeft
	}
	c.wakeReaderLocked()
	more := err == nil && !c.dead && (len(rest) > 0 || len(c.out) > 0 || c.shut)
	done := err == nil && !c.dead && !more
	if more && len(rest) == 0 && len(c.out) == 0 {
		// Only the shutdown is left: do it here.
		more, done = false, true
	}
	if more {
		c.wg.Add(1)
	} else {
		c.writing = false
		putBuf(restBox, rest)
	}
	shutNow := done && c.claimShutLocked()
	c.wmu.Unlock()
	if more {
		go c.writeLoop(rest, restBox, framesLeft)
	}
	if n := c.bc.count(); n > 0 {
		c.h.BytesWritten(n)
	}
	if err != nil {
		c.writeFailed(err)
		return
	}
	if shutNow {
		c.shutWrite()
	}
}

// writeLoop writes rest (bytes for the TCP connection itself, standing
// for framesLeft framed bytes), then the queue, one batch at a time, and
// ends when it is empty; then it shuts the sending side if asked to.
func (c *Conn) writeLoop(rest []byte, restBox *[]byte, framesLeft int64) {
	defer c.wg.Done()
	var err error
	if len(rest) > 0 {
		err = c.writeChunks(c.bc, rest) // uncorked: straight to the kernel, counted
		putBuf(restBox, rest)
		c.wmu.Lock()
		if !c.dead {
			c.queued -= framesLeft
		}
		c.wakeReaderLocked()
		c.wmu.Unlock()
		c.reportWritten()
	}
	for err == nil {
		c.wmu.Lock()
		if c.dead || len(c.out) == 0 {
			c.writing = false
			shut := !c.dead && c.claimShutLocked()
			inline := c.inlineClose
			c.wmu.Unlock()
			if shut {
				c.shutWrite()
				if !inline {
					c.runner.Post(c.h.Closed)
				}
			}
			return
		}
		batch, box := c.takeLocked()
		c.wmu.Unlock()
		err = c.writeChunks(c.nc, batch)
		putBuf(box, batch)
		c.wmu.Lock()
		if !c.dead {
			c.queued -= int64(len(batch))
		}
		c.wakeReaderLocked()
		c.wmu.Unlock()
		c.reportWritten()
	}
	c.wmu.Lock()
	c.writing = false
	c.dead = true
	c.dropQueueLocked()
	closing, inline := c.shut, c.inlineClose
	c.wmu.Unlock()
	c.closeNow()
	switch {
	case closing && !inline:
		c.runner.Post(c.h.Closed) // the close is over: its frame could not go
	case !closing:
		c.runner.Post(func() {
			if !c.stopped.Load() {
				c.h.WriteFailed(err)
			}
		})
	}
}

// reportWritten posts the bytes written since the last count, when the
// writer goroutine wrote them.
func (c *Conn) reportWritten() {
	var n int64
	if c.bc != nil {
		n = c.bc.count()
	} else {
		n = c.ownWritten.Swap(0)
	}
	if n > 0 {
		c.runner.Post(func() { c.h.BytesWritten(n) })
	}
}

// writeFailed handles a failed write on the owner's goroutine.
func (c *Conn) writeFailed(err error) {
	c.wmu.Lock()
	closing := c.shut
	c.dead = true
	c.dropQueueLocked()
	c.wmu.Unlock()
	c.closeNow()
	if closing {
		return // the close reports itself
	}
	if !c.stopped.Load() {
		c.h.WriteFailed(err)
	}
}

// claimShutLocked reports whether the sending side is to be shut now
// (asked for, not done yet) and marks it done; wmu is held, so that Close
// and the writer goroutine agree on who reports the end.
func (c *Conn) claimShutLocked() bool {
	if !c.shut || c.shutDone {
		return false
	}
	c.shutDone = true
	return true
}

// shutWrite shuts the sending side once the close frame is out (the peer
// sees the end of the stream, as after Qt's close) and gives the peer
// closeGrace to end its own before the descriptor is closed.
func (c *Conn) shutWrite() {
	if c.tls != nil {
		_ = c.tls.CloseWrite() // close_notify
	}
	switch cw, ok := c.nc.(interface{ CloseWrite() error }); {
	case c.bc != nil:
		c.bc.closeWrite()
	case ok && c.tls == nil:
		_ = cw.CloseWrite()
	default:
		c.closeNow() // no half-close to be had
		return
	}
	if !c.started.Load() {
		c.closeNow() // nobody reads: nothing to wait for
		return
	}
	c.wmu.Lock()
	if c.grace == nil {
		c.grace = time.AfterFunc(closeGrace, c.closeNow)
	}
	c.wmu.Unlock()
}

// wakeReaderLocked wakes a reader paused by the write queue once it has
// shrunk enough; wmu is held.
func (c *Conn) wakeReaderLocked() {
	if c.queued <= outPause {
		c.wakeReader()
	}
}

// writeChunk is how much the writer goroutine hands to one Write, so that
// a large batch shows progress (writeProgress) while the peer reads it.
const writeChunk = 256 << 10

// writeChunks writes b to w in chunks of writeChunk.
func (c *Conn) writeChunks(w interface{ Write([]byte) (int, error) }, b []byte) error {
	for len(b) > 0 {
		n, err := w.Write(b[:min(len(b), writeChunk)])
		if c.bc == nil {
			c.ownWritten.Add(int64(n))
		}
		c.writeProgress.Add(1)
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}
