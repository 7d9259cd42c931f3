package wsserver

import (
	"context"
	"io"
	"unicode/utf8"

	"github.com/coder/websocket"
)

// readLoop reads messages and hands them to the loop, at most readAhead
// ahead of delivery. Messages parsed from bytes already read are gathered
// in the inbox and posted together when reading needs the network again
// (batchConn.Read calls postInbox), so that a burst becomes one event and
// what the slots send in reply leaves in one write.
func (s *session) readLoop() {
	defer s.wg.Done()
	defer s.postInbox()
	ws := s.ws
	for {
		select {
		case s.credits <- struct{}{}:
		default:
			s.postInbox() // the loop must deliver before more is read
			select {
			case s.credits <- struct{}{}:
			case <-s.done:
				return
			case <-s.stop:
				return
			}
		}
		typ, r, err := s.c.Reader(context.Background())
		var m message
		if err == nil {
			s.stall.start(s)
			if s.bc == nil { // no batchConn counting the reads: count them here
				s.pr = progressReader{r, &s.stall}
				r = &s.pr
			}
			m, err = readMessage(typ, r)
			s.stall.stop()
		}
		if err == nil && s.bc.peerEnded() {
			err = io.ErrUnexpectedEOF // a message cut short (see peerEnded)
		}
		if err != nil {
			s.postInbox()
			ws.post(func() { ws.readFailed(s, err) })
			return
		}
		if m.invalidText {
			s.postInbox()
			ws.post(func() {
				ws.protocolError(s, CloseCodeWrongDatatype, "Invalid UTF-8 code encountered.")
			})
			return
		}
		s.inMu.Lock()
		s.inbox = append(s.inbox, m)
		s.inMu.Unlock()
		if s.bc == nil { // no batchConn to tell when the buffer is empty
			s.postInbox()
		}
	}
}

// postInbox posts the messages read so far to the loop as one event. The
// loop delivers them from a queue of its own, in order, even when a slot
// runs a nested loop that takes the next event.
func (s *session) postInbox() {
	s.inMu.Lock()
	batch := s.inbox
	s.inbox = nil
	s.inMu.Unlock()
	if len(batch) == 0 {
		return
	}
	ws := s.ws
	ws.post(func() {
		if len(s.ready) == 0 {
			s.ready = batch
		} else {
			s.ready = append(s.ready, batch...)
		}
		for len(s.ready) > 0 {
			m := s.ready[0]
			s.ready[0] = message{}
			s.ready = s.ready[1:]
			<-s.credits
			ws.deliver(s, m)
		}
	})
}

// A message is one message read: text or binary, in the form the signals
// hand out.
type message struct {
	text        string
	data        []byte
	binary      bool
	invalidText bool
}

// scratchPool holds the buffers messages are read into before their one
// copy into the string or slice handed to the slots: reading grows the
// buffer (the frame header's length is not exposed), and copying the
// result once costs less than io.ReadAll's growing.
var scratchPool = newBufferPool()

func readMessage(typ websocket.MessageType, r io.Reader) (message, error) {
	bp := scratchPool.get()
	buf := (*bp)[:0]
	if cap(buf) == 0 {
		buf = make([]byte, 0, 4<<10)
	}
	var err error
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // grow
		}
		var n int
		n, err = r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			break
		}
	}
	var m message
	if err == io.EOF {
		err = nil
		if typ == websocket.MessageText {
			if utf8.Valid(buf) {
				m.text = string(buf)
			} else {
				m.invalidText = true
			}
		} else {
			m.binary = true
			m.data = append(make([]byte, 0, len(buf)), buf...)
		}
	}
	*bp = buf
	scratchPool.put(bp)
	return m, err
}
