package wsserver

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/coder/websocket"
)

// A session is one connection of a WebSocket: its coder/websocket Conn,
// its reader goroutine (read.go) and its outgoing queue (write.go), with a
// writer goroutine while the peer lags behind. Opening again replaces the
// session; events of an old session are ignored. Every field but the queue
// is set before the goroutines start, or is used on the socket's loop only.
type session struct {
	ws     *WebSocket
	c      *websocket.Conn
	bc     *batchConn
	fw     net.Conn // where coder/websocket writes frames (TLS or bc); nil: use coder's API
	raw    bool     // data messages are framed here (fw set, no compression)
	client bool

	done    chan struct{} // closed when the session ends
	stop    chan struct{} // closed when reading must stop (the socket was deleted)
	stopped sync.Once
	cancel  func() // stops a client's dial; may be nil
	endOnce sync.Once
	credits chan struct{} // read-ahead tokens: a send takes one, delivery returns it
	reading atomic.Bool
	wg      sync.WaitGroup

	stall stallTimer     // Qt's idle partial-message timeout (reader goroutine)
	pr    progressReader // reader goroutine only
	inMu  sync.Mutex
	inbox []message // read, not yet posted (see postInbox)
	ready []message // posted, not yet delivered; loop goroutine only

	// loop goroutine only
	closing  bool // a close frame was sent or received; state Closing
	finished bool // the final signals were emitted

	flushFn     func() // s.flushEvent, made once: a method value allocates
	wmu         sync.Mutex
	queue       []outItem
	spare       []outItem
	queued      int64 // bytes queued and not yet written
	left        int64 // bytes of queued the loop left corked for the writer
	writing     bool  // the writer goroutine runs
	flushPosted bool
	ended       bool
}

func newSession(ws *WebSocket, c *websocket.Conn, bc *batchConn, fw net.Conn, compressed, client bool) *session {
	s := newSessionFor(ws, client)
	s.c, s.bc = c, bc
	s.setFrameWriter(fw, compressed)
	s.applyReadLimit()
	return s
}

// setFrameWriter sets the connection frames are written to: the one under
// coder/websocket's writer (a TLS connection in secure mode). Without
// compression the session frames data messages itself.
func (s *session) setFrameWriter(fw net.Conn, compressed bool) {
	if s.bc == nil {
		fw = nil // mounted on a program's mux: the connection is net/http's
	}
	s.fw, s.raw = fw, fw != nil && !compressed
	s.bc.beginSession()
}

// newSessionFor returns a session without a connection yet.
func newSessionFor(ws *WebSocket, client bool) *session {
	s := &session{ws: ws, client: client, done: make(chan struct{}), stop: make(chan struct{}),
		credits: make(chan struct{}, readAhead)}
	s.flushFn = s.flushEvent
	return s
}

// stopReading makes the reader goroutine return instead of waiting for the
// loop to take what it has read (nobody will once the socket is deleted).
func (s *session) stopReading() {
	s.stopped.Do(func() { close(s.stop) })
}

func (s *session) addrs() (local, peer netip.AddrPort) {
	if a, ok := s.bc.LocalAddr().(*net.TCPAddr); ok {
		local = a.AddrPort()
	}
	if a, ok := s.bc.RemoteAddr().(*net.TCPAddr); ok {
		peer = a.AddrPort()
	}
	return local, peer
}

func (s *session) applyReadLimit() {
	if s != nil && s.c != nil {
		s.c.SetReadLimit(s.ws.readLimit())
	}
}

// startReading starts the reader goroutine once.
func (s *session) startReading() {
	if s.reading.Swap(true) {
		return
	}
	if s.bc != nil {
		hook := s.postInbox
		s.bc.onRead.Store(&hook)
	}
	s.wg.Add(1)
	go s.readLoop()
}

// end stops the session's goroutines; it does not wait for them.
func (s *session) end() {
	if s == nil {
		return
	}
	s.endOnce.Do(func() {
		s.wmu.Lock()
		s.ended = true
		s.queue = nil
		s.queued = 0
		s.wmu.Unlock()
		close(s.done)
		if s.cancel != nil {
			s.cancel()
		}
	})
}

// abort drops the connection without a close frame. It does not block:
// coder/websocket's CloseNow waits for a closing handshake under way (up to
// 5 s), so the TCP connection is closed here and CloseNow runs on a
// goroutine.
func (s *session) abort() {
	if s == nil {
		return
	}
	s.end()
	s.drop()
}

// drop closes the TCP connection of a connected session at once and
// releases the coder/websocket Conn on a goroutine.
func (s *session) drop() {
	if s.c == nil {
		return
	}
	if s.bc != nil {
		_ = s.bc.Close()
	}
	c := s.c
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = c.CloseNow()
	}()
}

// closeTCP closes the TCP connection under a connected session, which
// ends whatever its goroutines wait for.
func (s *session) closeTCP() {
	if s.bc != nil {
		_ = s.bc.Close()
		return
	}
	_ = s.c.CloseNow()
}

// isRemoteClose reports whether err means the peer dropped the TCP
// connection (no close frame).
func isRemoteClose(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
