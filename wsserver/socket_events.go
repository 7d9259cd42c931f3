package wsserver

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// This file holds what runs on the socket's loop: sending, closing, and the
// handlers of the events its I/O goroutines post. Every signal order here is
// Qt's (ws §2.6).

// SendTextMessage queues message for sending and returns its size in bytes
// (UTF-8), or 0 if the socket is not connected (QWebSocket::sendTextMessage).
func (ws *WebSocket) SendTextMessage(message string) int64 {
	return send(ws, opText, message)
}

// SendBinaryMessage queues data for sending and returns its size, or 0 if
// the socket is not connected. The socket keeps its own copy.
func (ws *WebSocket) SendBinaryMessage(data []byte) int64 {
	return send(ws, opBinary, data)
}

// send queues a message: framed into the queue at once (the one copy of
// payload), or, when coder/websocket frames it, as a copy.
func send[T string | []byte](ws *WebSocket, op byte, payload T) int64 {
	ws.mu.Lock()
	s, limit, frame := ws.sess, ws.maxToWrite, int(ws.outFrame)
	ok := ws.state == ConnectedState && s != nil
	ws.mu.Unlock()
	if !ok {
		return 0
	}
	var queued bool
	if s.raw {
		queued = s.enqueueRaw(limit, func(b []byte) []byte {
			return appendFrames(b, op, payload, frame, s.client)
		})
	} else {
		kind := outText
		if op == opBinary {
			kind = outBinary
		}
		queued = s.enqueue(outItem{kind: kind, data: append([]byte(nil), payload...)}, limit)
	}
	if !queued {
		ws.onLoop(func() { ws.overflow(s) })
		return 0
	}
	return int64(len(payload))
}

// overflow aborts a socket whose peer does not read what it is sent.
func (ws *WebSocket) overflow(s *session) {
	if !ws.current(s) {
		return
	}
	ws.setError(SocketResourceError,
		"Outgoing queue limit exceeded: the peer does not read fast enough (see SetMaxBytesToWrite).")
	ws.abortSession(s)
}

// Ping sends a ping with payload (cut to 125 bytes) and restarts the timer
// Pong reports; the pong arrives through Pong. Like Qt's, it restarts the
// timer even when the socket is not connected.
func (ws *WebSocket) Ping(payload []byte) {
	if len(payload) > 125 {
		payload = payload[:125]
	}
	ws.mu.Lock()
	ws.pingStart = time.Now()
	s := ws.sess
	ok := ws.state == ConnectedState && s != nil
	ws.mu.Unlock()
	switch {
	case !ok:
	case s.fw != nil:
		s.enqueueRaw(0, func(b []byte) []byte { return appendFrame(b, finBit|opPing, payload, s.client) })
	default:
		s.enqueue(outItem{kind: outPing, data: append([]byte(nil), payload...)}, 0)
	}
}

// pongReceived runs on the reader goroutine (coder's callback).
func (ws *WebSocket) pongReceived(s *session, payload []byte) {
	ws.mu.Lock()
	elapsed := time.Since(ws.pingStart)
	ws.mu.Unlock()
	p := append([]byte(nil), payload...)
	ws.post(func() {
		if ws.current(s) {
			ws.Pong.Emit(elapsed, p)
		}
	})
}

// Close starts the closing handshake with code and reason (cut to 123
// bytes) after the queued messages (QWebSocket::close). AboutToClose is
// emitted twice and the state becomes ClosingState at once; Unconnected,
// Disconnected and ReadChannelFinished follow when the peer has answered (or
// after 5 s). Closing a socket that is still connecting aborts it. Safe from
// any goroutine; the signals are emitted on the socket's loop.
func (ws *WebSocket) Close(code CloseCode, reason string) {
	ws.onLoop(func() { ws.close(code, reason) })
}

func (ws *WebSocket) close(code CloseCode, reason string) {
	ws.mu.Lock()
	s, state := ws.sess, ws.state
	ws.mu.Unlock()
	switch {
	case s == nil || state == UnconnectedState:
		return
	case state == ConnectingState:
		ws.Abort()
		return
	case s.closing:
		return
	}
	s.closing = true
	reason = truncateReason(reason)
	ws.mu.Lock()
	ws.closeCode, ws.closeReason = code, reason
	ws.mu.Unlock()
	s.enqueue(outItem{kind: outClose, code: code, reason: reason}, 0)
	s.startReading() // to receive the peer's answer
	ws.AboutToClose.Emit()
	ws.AboutToClose.Emit()
	ws.setState(ClosingState)
}

// Abort drops the connection at once, without a close frame, discarding
// what is queued (QWebSocket::abort). The close code is left unchanged.
func (ws *WebSocket) Abort() {
	ws.onLoop(func() {
		ws.mu.Lock()
		s := ws.sess
		ws.mu.Unlock()
		if s != nil && !s.finished {
			ws.abortSession(s)
		}
	})
}

// abortSession is Qt's abort: AboutToClose, Unconnected (skipping
// Closing), Disconnected, ReadChannelFinished.
func (ws *WebSocket) abortSession(s *session) {
	s.abort()
	ws.AboutToClose.Emit()
	ws.finish(s, false)
}

// finish emits the end of a connection once: ClosingState if wanted and
// not yet reached, then UnconnectedState, Disconnected, ReadChannelFinished.
func (ws *WebSocket) finish(s *session, viaClosing bool) {
	if s.finished {
		return
	}
	s.finished = true
	s.end()
	ws.mu.Lock()
	wasConnected := ws.state == ConnectedState
	ws.mu.Unlock()
	if viaClosing && wasConnected {
		ws.setState(ClosingState)
	}
	ws.setState(UnconnectedState)
	ws.Disconnected.Emit()
	ws.ReadChannelFinished.Emit()
}

// current reports whether s is the socket's live session.
func (ws *WebSocket) current(s *session) bool {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return ws.sess == s && !s.finished
}

// deliver emits a received message: its frame signal, then the message.
// Nothing is delivered once this side has closed: Qt's close() closes the
// TCP socket, so what the peer sent afterwards is never processed.
func (ws *WebSocket) deliver(s *session, m message) {
	if !ws.current(s) || s.closing {
		return
	}
	if !m.binary {
		ws.TextFrameReceived.Emit(m.text, true)
		ws.TextMessageReceived.Emit(m.text)
		return
	}
	ws.BinaryFrameReceived.Emit(m.data, true)
	ws.BinaryMessageReceived.Emit(m.data)
}

// readFailed handles the end of reading: the peer's close frame, the
// answer to ours, a protocol error, or a dropped connection.
func (ws *WebSocket) readFailed(s *session, err error) {
	if !ws.current(s) {
		return
	}
	var ce websocket.CloseError
	switch {
	case errors.As(err, &ce):
		if !s.closing {
			// The peer closed: adopt its code and reason (Qt's
			// closeReceived); coder/websocket has echoed the close frame.
			code, reason := CloseCodeNormal, ""
			if ce.Code != websocket.StatusNoStatusRcvd {
				// Qt's rules for the payload, stricter than
				// coder/websocket's: a refused one is reported with
				// Qt's code and reason (the echo has gone out already).
				p := binary.BigEndian.AppendUint16(nil, uint16(ce.Code))
				code, reason, _ = parseClosePayload(append(p, ce.Reason...))
			}
			s.closing = true
			ws.mu.Lock()
			ws.closeCode, ws.closeReason = code, reason
			ws.mu.Unlock()
			ws.AboutToClose.Emit()
			ws.AboutToClose.Emit()
		}
		ws.finish(s, true)
	case s.closing:
		ws.finish(s, true) // our close handshake ended
	case errors.Is(err, websocket.ErrMessageTooBig):
		ws.protocolError(s, CloseCodeTooMuchData, "Received message is too big.")
	case errors.Is(err, context.DeadlineExceeded):
		// coder/websocket gives a control frame 5 s to arrive whole and its
		// answer 5 s to be written, then closes the connection. Neither is
		// a protocol error of the peer's.
		if strings.Contains(err.Error(), "failed to write") {
			// The pong of a ping could not be written: the peer does not
			// read (a ping flood). Qt would buffer pongs without limit;
			// like the outgoing limit, this is an error and an abort.
			ws.setError(SocketTimeoutError, "Writing a pong timed out: the peer does not read what it is sent.")
			ws.abortSession(s)
			return
		}
		// A control frame stalled half-way: Qt's 5 s idle-partial-frame
		// timeout (ws §2.6), as for a stalled message (stall.go). The
		// connection is gone: no close frame.
		ws.protocolError(s, CloseCodeGoingAway, stallTimeoutReason)
	case isRemoteClose(err) || errors.Is(err, net.ErrClosed):
		ws.setError(RemoteHostClosedError, "The remote host closed the connection")
		ws.finish(s, true)
	default:
		// coder/websocket has sent a close frame with a protocol error.
		ws.protocolError(s, CloseCodeProtocolError, qtFrameErrorReason(err))
	}
}

// frameErrorReasons maps coder/websocket's frame errors to the reasons
// Qt's frame parser gives for the same faults.
var frameErrorReasons = []struct{ coder, qt string }{
	{"unexpected rsv bits", "Rsv field is non-zero"},
	{"unknown opcode", "Used reserved opcode"},
	{"control frame payload with invalid length", "Control frame is larger than 125 bytes"},
	{"fragmented control frame", "Control frames cannot be fragmented"},
	{"continuation frame without text or binary frame", "Received Continuation frame, while there is nothing to continue."},
	{"new data message without finishing the previous message", "All data frames after the initial data frame must have opcode 0 (continuation)."},
	{"too small, cannot even contain", reasonCloseTooSmall},
	{"invalid close payload: invalid status code", "Invalid close code 1002 detected."},
	{"negative payload length", "Highest bit of payload length is not 0."},
	// Qt accepts unmasked client frames; RFC 6455 and coder/websocket do
	// not. One reason whatever the frame (porting.md, deviation 15).
	{"received unmasked frame from client", reasonUnmasked},
}

// reasonUnmasked is the close reason for an unmasked client frame, which
// Qt has none for.
const reasonUnmasked = "Frame from a client is not masked."

// qtFrameErrorReason returns Qt's close reason for a frame error, or the
// error's text when Qt has no such error.
func qtFrameErrorReason(err error) string {
	msg := err.Error()
	for _, r := range frameErrorReasons {
		if strings.Contains(msg, r.coder) {
			return r.qt
		}
	}
	return msg
}

// protocolError closes the socket as Qt does on a bad frame: the code and
// reason become CloseCode/CloseReason, a close frame goes to the peer, and
// the local close sequence follows, without ErrorOccurred.
func (ws *WebSocket) protocolError(s *session, code CloseCode, reason string) {
	if !ws.current(s) {
		return
	}
	reason = truncateReason(reason)
	if !s.closing {
		s.closing = true
		ws.mu.Lock()
		ws.closeCode, ws.closeReason = code, reason
		ws.mu.Unlock()
		ws.AboutToClose.Emit()
		ws.AboutToClose.Emit()
	}
	c := s.c
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := c.Close(websocket.StatusCode(code), reason); err != nil {
			_ = c.CloseNow()
		}
	}()
	ws.finish(s, true)
}

func (ws *WebSocket) bytesWritten(s *session, n int64) {
	if ws.current(s) || (s.closing && ws.sess == s) {
		ws.BytesWritten.Emit(n)
	}
}

// writeFailed handles a failed write: the connection is gone.
func (ws *WebSocket) writeFailed(s *session, err error) {
	if !ws.current(s) || s.closing {
		return
	}
	if errors.Is(err, net.ErrClosed) && s.reading.Load() {
		// coder/websocket closed the connection from the reading side (a
		// close frame came, or a protocol error): the reader reports why.
		return
	}
	if isRemoteClose(err) {
		ws.setError(RemoteHostClosedError, "The remote host closed the connection")
	} else {
		ws.setError(NetworkError, "Error writing bytes to socket: "+err.Error()+".")
	}
	s.abort()
	ws.finish(s, true)
}
