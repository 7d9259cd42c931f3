package wire

import (
	"errors"
	"io"
	"sync/atomic"
	"syscall"
	"time"
)

// readers counts the reader goroutines running, for Readers.
var readers atomic.Int64

// Readers returns how many connections are still reading: those open, and
// those closed by this side whose peer has not ended its stream yet (at
// most closeGrace).
func Readers() int64 { return readers.Load() }

// scratchSize is the read buffer of a connection while bytes arrive; it
// holds a whole TLS record. Payloads of at least this much are read
// straight into their message's buffer instead.
const scratchSize = 16 << 10

// scratchPool holds read buffers, so that an idle connection holds none:
// on plain TCP the reader waits for the socket to become readable before
// it takes one.
var scratchPool = newBufferPool()

// readLoop reads the peer's frames and hands their events to the owner,
// at most readAhead messages (readAheadBytes bytes) ahead of delivery.
// Once delivery has stopped (a close, an abort), it reads on and discards
// until the peer's stream ends, so that the connection is closed without
// a reset while the peer still has something to say.
func (c *Conn) readLoop() {
	readers.Add(1)
	defer readers.Add(-1)
	defer c.wg.Done()
	defer c.stall.stop()
	c.stall.init(c)
	if len(c.prefix) > 0 {
		c.p.feed(c.prefix)
		c.prefix = nil
		c.stall.update(c.p.partial() && !c.p.failed)
		c.push()
	}
	var box *[]byte
	defer func() { scratchPool.put(box) }()
	for {
		if !c.waitCredit() {
			return
		}
		var n int
		var err error
		c.inRead.Store(true)
		if d := c.p.direct(scratchSize); d != nil {
			n, err = c.nc.Read(d)
			if n > 0 {
				c.reads.Add(1)
				c.p.consumeDirect(n)
			}
		} else {
			if box == nil {
				if c.tls == nil && c.bc != nil && c.bc.raw != nil {
					err = c.waitReadable()
				}
				box = scratchPool.get()
				if cap(*box) < scratchSize {
					*box = make([]byte, scratchSize)
				}
			}
			if err == nil {
				buf := (*box)[:scratchSize]
				n, err = c.nc.Read(buf)
				if n > 0 {
					c.reads.Add(1)
					c.p.feed(buf[:n])
				}
				if n < len(buf) && c.tls == nil {
					scratchPool.put(box) // drained: an idle connection holds no buffer
					box = nil
				}
			}
		}
		c.inRead.Store(false)
		c.stall.update(c.p.partial() && !c.p.failed)
		c.push()
		if err != nil {
			c.readEnded(err)
			return
		}
	}
}

// waitReadable blocks until the socket has bytes (or an end or error) to
// read, without a buffer: it peeks one byte.
func (c *Conn) waitReadable() error {
	var one [1]byte
	err := c.bc.raw.Read(func(fd uintptr) bool {
		_, _, err := syscall.Recvfrom(int(fd), one[:], syscall.MSG_PEEK)
		return err != syscall.EAGAIN
	})
	return err
}

// readEnded handles the end of the peer's stream, or a failed read.
func (c *Conn) readEnded(err error) {
	c.wmu.Lock()
	shut := c.shut || c.dead
	c.wmu.Unlock()
	if shut || c.stopped.Load() {
		c.closeNow() // our side is done too: nothing waits for the peer now
		return
	}
	if errors.Is(err, io.EOF) && c.p.partial() {
		err = io.ErrUnexpectedEOF
	}
	c.p.events = append(c.p.events, Event{Kind: EventEnd, Err: err})
	c.push()
}

// push hands the events parsed so far to the owner, in one post.
func (c *Conn) push() {
	evs := c.p.events
	if len(evs) == 0 {
		return
	}
	c.p.events = nil
	c.pushEvents(evs)
}

// pushEvents queues evs for delivery; any goroutine.
func (c *Conn) pushEvents(evs []Event) {
	if c.stopped.Load() {
		return
	}
	msgs, bytes := 0, 0
	for i := range evs {
		if counted(&evs[i]) {
			msgs++
			bytes += len(evs[i].MessageData) + len(evs[i].MessageText)
		}
	}
	c.inMu.Lock()
	if c.inbox == nil {
		c.inbox = evs
	} else {
		c.inbox = append(c.inbox, evs...)
	}
	c.aheadMsgs += msgs
	c.aheadBytes += bytes
	post := !c.inPosted
	c.inPosted = true
	c.inMu.Unlock()
	if post {
		c.runner.Post(c.deliverFn)
	}
}

// waitCredit waits while the owner has too much undelivered, or while
// more than outPause bytes wait to be written: a peer that sends without
// reading what it is answered (pongs, echoes) is slowed down by TCP
// instead of filling memory. If those writes make no progress for
// writeStallTimeout, the connection ends with ErrWriteStalled. It reports
// false when reading must stop.
func (c *Conn) waitCredit() bool {
	var stall *time.Timer
	defer func() {
		if stall != nil {
			stall.Stop()
		}
	}()
	var lastProgress uint64
	for {
		c.inMu.Lock()
		full := c.aheadMsgs >= readAhead || c.aheadBytes >= readAheadBytes
		c.inMu.Unlock()
		c.wmu.Lock()
		blocked := c.queued > outPause && !c.shut && !c.dead
		c.wmu.Unlock()
		if !full && !blocked {
			return true
		}
		var fired <-chan time.Time
		if blocked && !c.stopped.Load() {
			if p := c.writeProgress.Load(); stall == nil || p != lastProgress {
				if stall != nil {
					stall.Stop()
				}
				stall = time.NewTimer(time.Duration(writeStallTimeout.Load()))
				lastProgress = p
			}
			fired = stall.C
		}
		select {
		case <-c.credit:
		case <-fired:
			if c.writeProgress.Load() != lastProgress {
				stall = nil // the writes moved meanwhile: watch again
				continue
			}
			c.p.events = append(c.p.events, Event{Kind: EventEnd, Err: ErrWriteStalled})
			c.push()
			return false
		case <-c.readerStop():
			return false
		}
	}
}

// outPause is how many bytes waiting to be written stop reading.
const outPause = 128 << 10

// writeStallTimeout bounds how long reading waits for writes that make no
// progress (nanoseconds; SetWriteStallTimeout).
var writeStallTimeout atomic.Int64

func init() { writeStallTimeout.Store(int64(30 * time.Second)) }

// SetWriteStallTimeout changes the write-stall timeout (for tests) and
// returns the previous one.
func SetWriteStallTimeout(d time.Duration) time.Duration {
	return time.Duration(writeStallTimeout.Swap(int64(d)))
}

// ErrWriteStalled ends a connection whose peer sends but has not read what
// it was sent for writeStallTimeout.
var ErrWriteStalled = errors.New("wire: the peer does not read what it is sent")

// wakeReader wakes a reader waiting in waitCredit.
func (c *Conn) wakeReader() {
	select {
	case c.credit <- struct{}{}:
	default:
	}
}

// readerStop is closed when the descriptor is: a waiting reader gives up.
func (c *Conn) readerStop() <-chan struct{} { return c.closedCh() }

// deliver runs on the owner's goroutine: it delivers the events posted,
// one at a time from a queue of its own, so that the order holds when a
// slot runs a nested loop that delivers the next ones.
func (c *Conn) deliver() {
	c.inMu.Lock()
	batch := c.inbox
	c.inbox, c.inPosted = nil, false
	c.inMu.Unlock()
	if len(c.ready) == 0 {
		c.ready = batch
	} else {
		c.ready = append(c.ready, batch...)
	}
	for len(c.ready) > 0 {
		if c.stopped.Load() {
			c.ready = nil
			return
		}
		ev := c.ready[0]
		c.ready[0] = Event{}
		c.ready = c.ready[1:]
		if counted(&ev) {
			c.returnCredit(len(ev.MessageData) + len(ev.MessageText))
		}
		c.dispatch(&ev)
	}
}

// counted reports whether an event counts against the read-ahead: a whole
// message, or a control frame (a ping flood is bounded like messages).
func counted(ev *Event) bool {
	switch ev.Kind {
	case EventFrame:
		return ev.Fin
	case EventPing, EventPong:
		return true
	}
	return false
}

func (c *Conn) returnCredit(bytes int) {
	c.inMu.Lock()
	wake := c.aheadMsgs >= readAhead || c.aheadBytes >= readAheadBytes
	c.aheadMsgs--
	c.aheadBytes -= bytes
	c.inMu.Unlock()
	if wake {
		c.wakeReader()
	}
}

func (c *Conn) dispatch(ev *Event) {
	switch ev.Kind {
	case EventFrame:
		c.h.Frame(ev)
	case EventPing:
		c.queueControl(OpPong, ev.Data) // after what the slots sent for earlier frames
	case EventPong:
		c.h.Pong(ev.Data)
	case EventClose:
		c.h.CloseReceived(ev.Data)
	case EventError:
		var pe *ProtocolError
		if errors.As(ev.Err, &pe) {
			c.h.ProtocolError(pe)
		}
	case EventEnd:
		c.h.ReadEnded(ev.Err)
	}
}
