package wsserver

// peerEnded reports whether a read (batchConn.Read) has met the end of the
// peer's stream since beginSession.
//
// coder/websocket returns a fragmented message that the peer's FIN cuts at
// a frame boundary as if it were whole: the next frame header's read gets
// io.EOF, which its message reader passes on as the message's end. A
// message can only be complete if all of it was read without needing the
// bytes after it, so a message that comes back after the stream has ended
// is one that was cut short. (Over TLS a close_notify ends the stream
// above this connection and goes unnoticed here.)
func (c *batchConn) peerEnded() bool { return c != nil && c.eof.Load() }

// beginSession forgets what the connection saw before the WebSocket
// session began: the bytes of the handshake (which are not BytesWritten's)
// and an end of stream met by net/http's background read.
func (c *batchConn) beginSession() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.written, c.session = 0, true
	c.mu.Unlock()
	c.eof.Store(false)
}
