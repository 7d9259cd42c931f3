package wsserver

import (
	"context"
	"net"
	"time"

	"github.com/coder/websocket"

	"github.com/qtgo/qtgo/eventloop"
)

// The write side of a session: what the socket sends is queued (framed at
// once when the session frames its messages), and written at the end of
// the loop iteration, on the loop when the kernel takes it all, else by a
// writer goroutine that waits for the peer.

type outKind uint8

const (
	outText outKind = iota
	outBinary
	outPing
	outClose
	outRaw // ready-made frames (data, pings), in a pooled buffer
)

type outItem struct {
	kind   outKind
	data   []byte
	box    *[]byte // outRaw: data's box from bufPool
	code   CloseCode
	reason string
}

// size is what the item counts in BytesToWrite: its bytes on the wire, or
// for a message coder/websocket frames, the payload and a header's bound.
func (it *outItem) size() int64 {
	if it.kind == outRaw {
		return int64(len(it.data))
	}
	return int64(len(it.data)) + frameOverhead
}

// frameOverhead is an upper bound of a frame header's size.
const frameOverhead = 14

// enqueue adds an item to the outgoing queue and makes sure a writer will
// drain it: at the end of the current loop iteration when called on the
// socket's loop (so that everything sent in one iteration is written
// together), at once otherwise. It reports false if the queue limit was
// exceeded.
func (s *session) enqueue(it outItem, limit int64) bool {
	return s.push(limit, func() int64 {
		s.queue = append(s.queue, it)
		return it.size()
	})
}

// enqueueRaw appends the frames build appends to the queue's last item
// when it holds frames already, else to a new one.
func (s *session) enqueueRaw(limit int64, build func([]byte) []byte) bool {
	return s.push(limit, func() int64 {
		n := len(s.queue)
		if n == 0 || s.queue[n-1].kind != outRaw {
			box := getBuf()
			s.queue = append(s.queue, outItem{kind: outRaw, box: box, data: *box})
			n++
		}
		it := &s.queue[n-1]
		before := len(it.data)
		it.data = build(it.data)
		return int64(len(it.data) - before)
	})
}

// push runs add, which queues something and returns its size, under the
// queue's lock, and schedules the writing.
func (s *session) push(limit int64, add func() int64) bool {
	s.wmu.Lock()
	if s.ended {
		s.wmu.Unlock()
		return true
	}
	s.queued += add()
	over := limit > 0 && s.queued > limit
	start := false
	if !s.writing {
		if s.ws.Loop().IsCurrent() {
			if !s.flushPosted {
				s.flushPosted = true
				s.ws.Loop().PostEvent(s.ws.AsObject(), s.flushFn, eventloop.LowEventPriority)
			}
		} else {
			s.writing, start = true, true
			s.wg.Add(1)
		}
	}
	s.wmu.Unlock()
	if start {
		go s.writeLoop()
	}
	return !over
}

// flushEvent writes the queue at the end of a loop iteration. When the
// kernel takes it all at once (a peer that keeps up), it is written right
// here on the loop, as Qt writes from its thread, and BytesWritten is
// emitted; otherwise a writer goroutine takes over what is left.
func (s *session) flushEvent() {
	s.wmu.Lock()
	s.flushPosted = false
	if s.writing || s.ended || len(s.queue) == 0 {
		s.wmu.Unlock()
		return
	}
	s.writing = true
	batch := s.queue
	if !inlineWritable(batch) || s.bc == nil || !s.bc.tryCork() {
		s.wg.Add(1)
		s.wmu.Unlock()
		go s.writeLoop()
		return
	}
	s.queue, s.spare = s.spare[:0], nil
	s.wmu.Unlock()

	var size int64
	err := s.writeBatch(batch, &size)
	left, written, ferr := s.bc.tryFlush()
	if err == nil {
		err = ferr
	}
	clear(batch)
	s.wmu.Lock()
	s.doneBatch(batch, size-int64(left))
	s.left = int64(left) // still counted in queued until the writer flushes it
	more := err == nil && !s.ended && (left > 0 || len(s.queue) > 0)
	if more {
		s.wg.Add(1)
	} else {
		s.writing = false
	}
	s.wmu.Unlock()
	if more {
		go s.writeLoop()
	}
	if written > 0 {
		s.ws.bytesWritten(s, written)
	}
	if err != nil {
		s.ws.writeFailed(s, err)
	}
}

// inlineWritable reports whether the loop may write batch itself: a close
// waits for the peer's answer, so it is left to the writer goroutine.
func inlineWritable(batch []outItem) bool {
	for _, it := range batch {
		if it.kind == outClose {
			return false
		}
	}
	return true
}

// doneBatch releases a written batch's count and keeps its slice; s.wmu
// is held.
func (s *session) doneBatch(batch []outItem, size int64) {
	if !s.ended { // end has zeroed the count already
		s.queued -= size
	}
	if s.spare == nil {
		s.spare = batch[:0]
	}
}

func (s *session) flushNow() bool {
	if s == nil {
		return false
	}
	s.wmu.Lock()
	n := len(s.queue)
	start := !s.writing && !s.ended && n > 0
	if start {
		s.writing = true
		s.wg.Add(1)
	}
	s.wmu.Unlock()
	if start {
		go s.writeLoop()
	}
	return n > 0
}

func (s *session) pending() int64 {
	if s == nil {
		return 0
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.queued
}

// writeLoop flushes what the loop left unwritten, then drains the queue,
// one corked batch at a time, and exits when it is empty.
func (s *session) writeLoop() {
	defer s.wg.Done()
	ws := s.ws
	written, err := s.bc.flush()
	s.wmu.Lock()
	if !s.ended {
		s.queued -= s.left
	}
	s.left = 0
	s.wmu.Unlock()
	for {
		if written > 0 && ws.BytesWritten.IsConnected() { // a post wakes the loop: only when heard
			n := written
			ws.post(func() { ws.bytesWritten(s, n) })
		}
		if err != nil {
			ws.post(func() { ws.writeFailed(s, err) })
			s.wmu.Lock()
			s.writing = false
			s.wmu.Unlock()
			return
		}
		s.wmu.Lock()
		batch := s.queue
		s.queue, s.spare = s.spare[:0], nil
		if len(batch) == 0 || s.ended {
			s.writing = false
			s.wmu.Unlock()
			return
		}
		s.wmu.Unlock()

		var size int64
		if s.bc != nil {
			s.bc.cork()
		}
		err = s.writeBatch(batch, &size)
		var ferr error
		written, ferr = s.bc.flush()
		if err == nil {
			err = ferr
		}
		clear(batch)
		s.wmu.Lock()
		s.doneBatch(batch, size)
		s.wmu.Unlock()
	}
}

// writeBatch writes the items into the corked connection, so they leave
// together. A close item ends the batch: it runs the closing handshake,
// which waits for the peer.
func (s *session) writeBatch(batch []outItem, size *int64) error {
	ctx := context.Background()
	for i := range batch {
		it := &batch[i]
		*size += it.size()
		var err error
		switch it.kind {
		case outRaw:
			if s.fw == net.Conn(s.bc) { // no TLS: the frames are the bytes to send
				err = s.bc.writeOwned(it.data, it.box)
			} else {
				_, err = s.fw.Write(it.data)
				putBuf(it.box, it.data)
			}
			it.data, it.box = nil, nil
		case outText, outBinary:
			err = s.writeMessage(ctx, *it)
		case outPing:
			// Only without a frame writer (mounted on a program's mux, or
			// TLS through a proxy): coder/websocket's own ping and payload.
			// Otherwise Ping queued a ready frame.
			c := s.c
			s.wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				_ = c.Ping(ctx)
			})
			continue
		case outClose:
			if _, err := s.bc.flush(); err != nil {
				return err
			}
			if err := s.c.Close(websocket.StatusCode(it.code), it.reason); err != nil {
				_ = s.c.CloseNow()
			}
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// writeMessage writes one message, in frames of OutgoingFrameSize.
func (s *session) writeMessage(ctx context.Context, it outItem) error {
	typ := websocket.MessageText
	if it.kind == outBinary {
		typ = websocket.MessageBinary
	}
	frame := int(s.ws.OutgoingFrameSize())
	if len(it.data) <= frame {
		return s.c.Write(ctx, typ, it.data)
	}
	w, err := s.c.Writer(ctx, typ)
	if err != nil {
		return err
	}
	for p := it.data; len(p) > 0; {
		n := min(len(p), frame)
		if _, err := w.Write(p[:n]); err != nil {
			return err
		}
		p = p[n:]
	}
	return w.Close()
}
