package wsserver_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/qtgo/qtgo/signals/signaltest"
	"github.com/qtgo/qtgo/wsserver"
)

// The exact signal sequences of ws §2.5/§2.6, each compared whole.

// TestOrderConnectSuccess: stateChanged(Connecting) synchronously inside
// Open, then stateChanged(Connected) and connected().
func TestOrderConnectSuccess(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	client := newClient(t)
	log := recordSignals(t, client)
	client.Open(srv.ServerUrl().String())
	log.expect("inside Open", evConnecting)
	if client.State() != wsserver.ConnectingState {
		t.Errorf("state after Open = %v; want ConnectingState", client.State())
	}
	if got := client.PeerName(); got != "127.0.0.1" {
		t.Errorf("PeerName right after Open = %q; want 127.0.0.1", got)
	}
	log.waitFor(evConnected)
	log.expect("connect", evConnecting, evStConnected, evConnected)
	if !client.IsValid() || client.Error() != wsserver.UnknownSocketError || client.ErrorString() != "Unknown error" {
		t.Errorf("IsValid %v, Error %v %q; want a clean connected socket", client.IsValid(), client.Error(), client.ErrorString())
	}
	if u := client.RequestUrl(); u == nil || u.String() != srv.ServerUrl().String() {
		t.Errorf("RequestUrl = %v; want the URL as given (Qt adds no path)", u)
	}
	if got := client.ResourceName(); got != "/" {
		t.Errorf("ResourceName = %q; want /", got)
	}
}

// TestOrderConnectRefused: a closed port gives stateChanged(Unconnected)
// and disconnected() before errorOccurred(ConnectionRefusedError), as
// QAbstractSocket orders them; a Qt client that never connected still
// emits disconnected(), and never aboutToClose() or connected().
func TestOrderConnectRefused(t *testing.T) {
	t.Parallel()
	client := newClient(t)
	log := recordSignals(t, client)
	client.Open("ws://" + closedPort(t) + "/")
	log.expect("inside Open", evConnecting)
	log.waitFor(errEv(wsserver.ConnectionRefusedError))
	signaltest.Wait(20 * time.Millisecond) // nothing may follow
	log.expect("refused", evConnecting, evUnconnected, evDisconnected, errEv(wsserver.ConnectionRefusedError))
	if client.Error() != wsserver.ConnectionRefusedError || client.ErrorString() != "Connection refused" {
		t.Errorf("Error = %v %q; want ConnectionRefusedError \"Connection refused\"", client.Error(), client.ErrorString())
	}
	if client.State() != wsserver.UnconnectedState {
		t.Errorf("state = %v", client.State())
	}
}

// TestOrderHandshakeRefused: a server answering something else than 101
// fails the open with errorOccurred(ConnectionRefusedError) and Qt's
// message, then, the server having closed the connection, the TCP
// socket's errorOccurred(RemoteHostClosedError) (ErrorString still the
// handshake's message, which shadows it), and disconnects (Qt 6.5:
// "Disconnect when handshake fails").
func TestOrderHandshakeRefused(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, answer, msg string
	}{
		{"403", "HTTP/1.1 403 Access Forbidden\r\n\r\n",
			"QWebSocketPrivate::processHandshake: Unhandled http status code: 403 (Access Forbidden)."},
		{"404", "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
			"QWebSocketPrivate::processHandshake: Unhandled http status code: 404 (Not Found)."},
		{"400 version", "HTTP/1.1 400 Bad Request\r\nSec-WebSocket-Version: 8, 7\r\n\r\n",
			"Handshake: Server requests a version that we don't support: 8, 7."},
		{"400 other", "HTTP/1.1 400 Bad Request\r\nSec-WebSocket-Version: 13\r\n\r\n",
			"QWebSocketPrivate::processHandshake: Unknown error condition encountered. Aborting connection."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rs := newRawServer(t, func(*http.Request) string { return c.answer })
			client := newClient(t)
			log := recordSignals(t, client)
			client.Open(rs.url("/"))
			p, _ := rs.peer(0)
			p.drop() // Qt's server closes after its answer
			log.waitFor(evDisconnected)
			signaltest.Wait(20 * time.Millisecond)
			log.expect("refused handshake", evConnecting, errEv(wsserver.ConnectionRefusedError),
				errEv(wsserver.RemoteHostClosedError), evUnconnected, evDisconnected, evReadFinished)
			if got := client.ErrorString(); got != c.msg {
				t.Errorf("ErrorString = %q; want %q", got, c.msg)
			}
			if client.State() != wsserver.UnconnectedState {
				t.Errorf("state = %v", client.State())
			}
		})
	}
}

// TestOrderOpenInvalid: an invalid URL, a resource with an encoded CRLF,
// or a scheme other than ws/wss fail synchronously inside Open with
// errorOccurred and no state change (ws §2.5 steps 1, 3, 4).
func TestOrderOpenInvalid(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, url string
		err       wsserver.SocketError
		msg       string
		keepsURL  bool // Qt stores the request before the scheme check
	}{
		{"crlf in host", "ws://myhacky\r\nserver/", wsserver.ConnectionRefusedError, "Invalid URL.", false},
		{"crlf in path", "ws://127.0.0.1:1/tricky%0D%0Apath", wsserver.ConnectionRefusedError, "Invalid resource name.", false},
		{"http scheme", "http://127.0.0.1:1/", wsserver.UnsupportedSocketOperationError, "Unsupported WebSocket scheme: http", true},
		{"ftp scheme", "ftp://127.0.0.1:1/x", wsserver.UnsupportedSocketOperationError, "Unsupported WebSocket scheme: ftp", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			client := newClient(t)
			log := recordSignals(t, client)
			client.Open(c.url)
			log.expect("inside Open", errEv(c.err))
			if client.ErrorString() != c.msg {
				t.Errorf("ErrorString = %q; want %q", client.ErrorString(), c.msg)
			}
			if client.State() != wsserver.UnconnectedState {
				t.Errorf("state = %v; want unchanged", client.State())
			}
			u := client.RequestUrl()
			switch {
			case !c.keepsURL && u != nil:
				t.Errorf("RequestUrl = %v; want nil", u)
			case c.keepsURL && (u == nil || u.String() != c.url):
				t.Errorf("RequestUrl = %v; want %s (Qt stores the request before checking the scheme)", u, c.url)
			}
			signaltest.Wait(20 * time.Millisecond)
			log.expect("after", errEv(c.err))
		})
	}
}

// TestOrderLocalClose: close(code, reason) while connected emits, inside
// the call, aboutToClose twice, stateChanged(Closing), then (the kernel
// took the close frame) Unconnected, disconnected, readChannelFinished,
// and returns in UnconnectedState (ws §2.6: Qt writes the frame, flushes
// and closes the TCP socket in close()); the peer receives the code and
// reason, then the end of the stream; a second close is harmless. Both sides: a client with a
// raw server (masked close frame) and a server-side socket with a raw
// client (unmasked).
func TestOrderLocalClose(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, ws *wsserver.WebSocket, log *sigLog, peer *rawPeer) {
		from := len(log.events())
		ws.Close(wsserver.CloseCode(4000), "going")
		inside := []string{evAboutToClose, evAboutToClose, evClosing, evUnconnected, evDisconnected, evReadFinished}
		log.expectSince("inside Close", from, inside...)
		if ws.State() != wsserver.UnconnectedState {
			t.Errorf("State after Close = %v; want UnconnectedState", ws.State())
		}
		if ws.CloseCode() != 4000 || ws.CloseReason() != "going" {
			t.Errorf("CloseCode/Reason = %v %q; want 4000 \"going\"", ws.CloseCode(), ws.CloseReason())
		}
		ws.Close(wsserver.CloseCodeNormal, "again") // harmless
		log.expectSince("second Close", from, inside...)
		peer.expectClose(4000, "going", true, true)
		rest := peer.waitEOF()
		if len(rest) != 0 {
			t.Errorf("frames after the close frame: %v", rest)
		}
		log.expectSince("close", from, evAboutToClose, evAboutToClose, evClosing, evUnconnected, evDisconnected, evReadFinished)
		if ws.CloseCode() != 4000 || ws.CloseReason() != "going" {
			t.Errorf("CloseCode/Reason after close = %v %q", ws.CloseCode(), ws.CloseReason())
		}
		if ws.Error() != wsserver.UnknownSocketError {
			t.Errorf("Error = %v; want no error", ws.Error())
		}
		ws.Close(wsserver.CloseCodeNormal, "after") // harmless too
		signaltest.Wait(20 * time.Millisecond)
		log.expectSince("close after close", from, evAboutToClose, evAboutToClose, evClosing, evUnconnected, evDisconnected, evReadFinished)
	}
	t.Run("client", func(t *testing.T) {
		t.Parallel()
		rs := newRawServer(t, nil)
		client := newClient(t)
		log := recordSignals(t, client)
		peer := connectRaw(t, rs, client)
		check(t, client, log, peer)
	})
	t.Run("server", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		peer := dialRawClient(t, serverAddr(srv), "/")
		server := nextConn(t, srv)
		log := recordSignals(t, server)
		check(t, server, log, peer)
	})
}

// TestOrderCloseReasonTruncated: the reason is cut to 123 bytes without
// splitting a UTF-8 sequence, locally and on the wire.
func TestOrderCloseReasonTruncated(t *testing.T) {
	t.Parallel()
	cases := []struct{ reason, want string }{
		{strings.Repeat("a", 200), strings.Repeat("a", 123)},
		{strings.Repeat("a", 122) + "é", strings.Repeat("a", 122)},       // é would end at byte 124
		{strings.Repeat("a", 121) + "é", strings.Repeat("a", 121) + "é"}, // exactly 123
		{strings.Repeat("a", 121) + "€x", strings.Repeat("a", 121)},      // € would end at 124
		{strings.Repeat("a", 120) + "𝄞", strings.Repeat("a", 120)},       // 4 bytes, ends at 124
		{strings.Repeat("é", 70), strings.Repeat("é", 61)},               // 122 bytes
	}
	for i, c := range cases {
		rs := newRawServer(t, nil)
		client := newClient(t)
		peer := connectRaw(t, rs, client)
		client.Close(wsserver.CloseCodeNormal, c.reason)
		if got := client.CloseReason(); got != c.want {
			t.Errorf("case %d: CloseReason = %q (%d bytes); want %d bytes", i, got, len(got), len(c.want))
		}
		peer.expectClose(1000, c.want, true, true)
		waitState(t, client, wsserver.UnconnectedState)
	}
}

// TestOrderCloseAfterQueuedMessages: the close frame follows the messages
// sent before Close.
func TestOrderCloseAfterQueuedMessages(t *testing.T) {
	t.Parallel()
	rs := newRawServer(t, nil)
	client := newClient(t)
	peer := connectRaw(t, rs, client)
	client.SendTextMessage("a")
	client.SendBinaryMessage([]byte("b"))
	client.Close(wsserver.CloseCodeNormal, "done")
	for _, want := range []wsFrame{{Fin: true, Opcode: opText, Payload: []byte("a")}, {Fin: true, Opcode: opBinary, Payload: []byte("b")}} {
		f := peer.mustFrame()
		if f.Opcode != want.Opcode || string(f.Payload) != string(want.Payload) || !f.Fin || !f.Masked {
			t.Errorf("frame %v; want %v, masked", f, want)
		}
	}
	peer.expectClose(1000, "done", true, true)
}

// TestOrderPeerClose: a close frame from the peer makes its code and reason
// ours and runs the local close sequence; an empty close payload counts as
// 1000 with no reason.
func TestOrderPeerClose(t *testing.T) {
	t.Parallel()
	t.Run("go server", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		client, server := connectPair(t, srv)
		clog, slog := recordSignals(t, client), recordSignals(t, server)
		server.Close(wsserver.CloseCode(4001), "bye")
		want := []string{evAboutToClose, evAboutToClose, evClosing, evUnconnected, evDisconnected, evReadFinished}
		slog.expect("closing side, inside Close", want...)
		clog.waitFor(evReadFinished)
		clog.expect("closed side", want...)
		slog.expect("closing side", want...)
		if client.CloseCode() != 4001 || client.CloseReason() != "bye" {
			t.Errorf("client CloseCode/Reason = %v %q; want 4001 \"bye\"", client.CloseCode(), client.CloseReason())
		}
		if server.CloseCode() != 4001 || server.CloseReason() != "bye" {
			t.Errorf("server CloseCode/Reason = %v %q", server.CloseCode(), server.CloseReason())
		}
		if client.Error() != wsserver.UnknownSocketError || server.Error() != wsserver.UnknownSocketError {
			t.Errorf("errors %v, %v; want none", client.Error(), server.Error())
		}
	})
	t.Run("raw peer echo", func(t *testing.T) {
		t.Parallel()
		rs := newRawServer(t, nil)
		client := newClient(t)
		clog := recordSignals(t, client)
		peer := connectRaw(t, rs, client)
		from := len(clog.events())
		peer.sendClose(3001, "app reason")
		// Qt echoes the peer's code and reason.
		peer.expectClose(3001, "app reason", true, false)
		clog.waitFor(evReadFinished)
		peer.waitEOF()
		clog.expectSince("peer close", from, evAboutToClose, evAboutToClose, evClosing, evUnconnected, evDisconnected, evReadFinished)
		if client.CloseCode() != 3001 || client.CloseReason() != "app reason" {
			t.Errorf("CloseCode/Reason = %v %q", client.CloseCode(), client.CloseReason())
		}
	})
	t.Run("empty payload", func(t *testing.T) {
		t.Parallel()
		rs := newRawServer(t, nil)
		client := newClient(t)
		clog := recordSignals(t, client)
		peer := connectRaw(t, rs, client)
		client.Close(wsserver.CloseCode(4002), "first") // CloseCode is not reset by a new Open
		peer.expectClose(4002, "first", true, true)
		clog.waitFor(evReadFinished)
		peer = connectRaw(t, rs, client)
		if client.CloseCode() != 4002 {
			t.Errorf("CloseCode after reopen = %v; want 4002 (Qt does not reset it)", client.CloseCode())
		}
		from := len(clog.events())
		peer.send(wsFrame{Fin: true, Opcode: opClose})
		// Qt echoes 1000 explicitly.
		f := peer.mustFrame()
		if code, reason := f.closeCode(); f.Opcode != opClose || code != 1000 || reason != "" {
			t.Errorf("echo %v; want a close frame with 1000 and no reason", f)
		}
		clog.waitCount(evReadFinished, 2)
		clog.expectSince("empty close", from, evAboutToClose, evAboutToClose, evClosing, evUnconnected, evDisconnected, evReadFinished)
		if client.CloseCode() != wsserver.CloseCodeNormal || client.CloseReason() != "" {
			t.Errorf("CloseCode/Reason = %v %q; want 1000 \"\"", client.CloseCode(), client.CloseReason())
		}
	})
}

// TestOrderAbort: abort() sends no close frame, emits aboutToClose, goes
// straight to Unconnected (no Closing), then disconnected and
// readChannelFinished, all inside Abort; CloseCode is unchanged.
func TestOrderAbort(t *testing.T) {
	t.Parallel()
	t.Run("client", func(t *testing.T) {
		t.Parallel()
		rs := newRawServer(t, nil)
		client := newClient(t)
		log := recordSignals(t, client)
		peer := connectRaw(t, rs, client)
		from := len(log.events())
		client.SendTextMessage("discarded")
		client.Abort()
		log.expectSince("inside Abort", from, evAboutToClose, evUnconnected, evDisconnected, evReadFinished)
		if n := client.BytesToWrite(); n != 0 {
			t.Errorf("BytesToWrite after Abort = %d; want 0 (the buffer is discarded)", n)
		}
		if rest := peer.waitEOF(); len(rest) != 0 {
			t.Errorf("peer got frames %v; want a TCP close and nothing else", rest)
		}
		if client.CloseCode() != wsserver.CloseCodeNormal || client.CloseReason() != "" {
			t.Errorf("CloseCode/Reason = %v %q; want unchanged", client.CloseCode(), client.CloseReason())
		}
		client.Abort() // no socket any more: nothing
		signaltest.Wait(20 * time.Millisecond)
		log.expectSince("after", from, evAboutToClose, evUnconnected, evDisconnected, evReadFinished)
	})
	t.Run("server", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		peer := dialRawClient(t, serverAddr(srv), "/")
		server := nextConn(t, srv)
		log := recordSignals(t, server)
		server.Abort()
		log.expect("inside Abort", evAboutToClose, evUnconnected, evDisconnected, evReadFinished)
		if rest := peer.waitEOF(); len(rest) != 0 {
			t.Errorf("peer got frames %v", rest)
		}
	})
	t.Run("after close code", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		client, server := connectPair(t, srv)
		clog := recordSignals(t, client)
		server.Close(wsserver.CloseCode(4003), "x")
		clog.waitFor(evReadFinished)
		client.Open(srv.ServerUrl().String())
		clog.waitCount(evConnected, 1)
		client.Abort()
		if client.CloseCode() != 4003 || client.CloseReason() != "x" {
			t.Errorf("CloseCode after Abort = %v %q; want the earlier 4003 \"x\"", client.CloseCode(), client.CloseReason())
		}
	})
}

// TestOrderTCPDrop: the peer drops TCP without a close frame:
// errorOccurred(RemoteHostClosedError) first, then Closing, Unconnected,
// disconnected, readChannelFinished; CloseCode stays 1000 (Qt never
// reports 1006 locally).
func TestOrderTCPDrop(t *testing.T) {
	t.Parallel()
	want := []string{errEv(wsserver.RemoteHostClosedError), evClosing, evUnconnected, evDisconnected, evReadFinished}
	check := func(t *testing.T, ws *wsserver.WebSocket, log *sigLog, from int) {
		log.waitFor(evReadFinished)
		signaltest.Wait(20 * time.Millisecond)
		log.expectSince("TCP drop", from, want...)
		// A server-side socket's ErrorString stays "Unknown error": Qt
		// copies the TCP socket's into its own at the upgrade.
		wantString := "The remote host closed the connection"
		if strings.HasPrefix(ws.ResourceName(), "ws://") { // server side: the full URL
			wantString = "Unknown error"
		}
		if ws.Error() != wsserver.RemoteHostClosedError || ws.ErrorString() != wantString {
			t.Errorf("Error = %v %q; want RemoteHostClosedError %q", ws.Error(), ws.ErrorString(), wantString)
		}
		if ws.CloseCode() != wsserver.CloseCodeNormal || ws.CloseReason() != "" {
			t.Errorf("CloseCode/Reason = %v %q; want 1000 \"\"", ws.CloseCode(), ws.CloseReason())
		}
	}
	t.Run("client FIN", func(t *testing.T) {
		t.Parallel()
		rs := newRawServer(t, nil)
		client := newClient(t)
		log := recordSignals(t, client)
		peer := connectRaw(t, rs, client)
		from := len(log.events())
		peer.drop()
		check(t, client, log, from)
	})
	t.Run("client RST", func(t *testing.T) {
		t.Parallel()
		rs := newRawServer(t, nil)
		client := newClient(t)
		log := recordSignals(t, client)
		peer := connectRaw(t, rs, client)
		from := len(log.events())
		peer.reset()
		check(t, client, log, from)
	})
	t.Run("server FIN", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		peer := dialRawClient(t, serverAddr(srv), "/")
		server := nextConn(t, srv)
		log := recordSignals(t, server)
		peer.drop()
		check(t, server, log, 0)
	})
	t.Run("server mid-frame", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		peer := dialRawClient(t, serverAddr(srv), "/")
		server := nextConn(t, srv)
		log := recordSignals(t, server)
		f := encodeFrame(wsFrame{Fin: true, Opcode: opText, Masked: true, Key: randomKey(), Payload: []byte("half a frame")})
		_ = peer.writeRaw(f[:len(f)-4])
		peer.drop()
		check(t, server, log, 0)
	})
}

// TestOrderLocalClosePeerDrops: after our close frame the peer drops TCP
// instead of answering: the close completes at once, with no error.
func TestOrderLocalClosePeerDrops(t *testing.T) {
	t.Parallel()
	rs := newRawServer(t, nil)
	client := newClient(t)
	log := recordSignals(t, client)
	peer := connectRaw(t, rs, client)
	from := len(log.events())
	start := time.Now()
	client.Close(wsserver.CloseCodeNormal, "")
	peer.expectClose(1000, "", true, false)
	peer.drop()
	log.waitFor(evReadFinished)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("close took %v after the peer dropped", d)
	}
	log.expectSince("close", from, evAboutToClose, evAboutToClose, evClosing, evUnconnected, evDisconnected, evReadFinished)
}

// TestOrderReopen: Open on a connected socket makes a new connection; the
// old peer sees a TCP close without a close frame, and the old connection
// emits nothing (no disconnected()).
func TestOrderReopen(t *testing.T) {
	t.Parallel()
	rs := newRawServer(t, nil)
	client := newClient(t)
	log := recordSignals(t, client)
	first := connectRaw(t, rs, client)
	log.expect("first", evConnecting, evStConnected, evConnected)
	client.Open(rs.url("/again"))
	log.expect("inside the second Open", evConnecting, evStConnected, evConnected, evConnecting)
	second, req := rs.peer(1)
	if req.URL.Path != "/again" {
		t.Errorf("second request for %q", req.URL.Path)
	}
	log.waitCount(evConnected, 2)
	if rest := first.waitEOF(); len(rest) != 0 {
		t.Errorf("old peer got frames %v; want a bare TCP close", rest)
	}
	signaltest.Wait(20 * time.Millisecond)
	log.expect("reopen", evConnecting, evStConnected, evConnected, evConnecting, evStConnected, evConnected)
	// The new connection works.
	second.sendText("new")
	log.waitFor(`TextMessageReceived("new")`)
	if n := client.SendTextMessage("hi"); n != 2 {
		t.Errorf("send on the new connection = %d", n)
	}
	if f := second.mustFrame(); string(f.Payload) != "hi" {
		t.Errorf("new peer got %v", f)
	}
}

// TestOrderCloseWhileConnecting: Qt leaves close() during the handshake
// undefined; the port treats it as Abort (no close frame; Unconnected,
// disconnected), and CloseCode is not set.
func TestOrderCloseWhileConnecting(t *testing.T) {
	t.Parallel()
	rs := newRawServer(t, func(*http.Request) string { return "" }) // never answers
	client := newClient(t)
	log := recordSignals(t, client)
	client.Open(rs.url("/"))
	peer, _ := rs.peer(0)
	client.Close(wsserver.CloseCode(4000), "early")
	log.expect("inside Close", evConnecting, evAboutToClose, evUnconnected, evDisconnected, evReadFinished)
	if rest := peer.waitEOF(); len(rest) != 0 {
		t.Errorf("peer got frames %v", rest)
	}
	signaltest.Wait(20 * time.Millisecond)
	log.expect("after", evConnecting, evAboutToClose, evUnconnected, evDisconnected, evReadFinished)
	if client.CloseCode() != wsserver.CloseCodeNormal {
		t.Errorf("CloseCode = %v; want unchanged", client.CloseCode())
	}
}

// TestOrderAbortWhileClosing: Close completes inside the call when the
// kernel takes the close frame (as Qt's does), so an Abort or a Delete
// right after it adds no signal; the peer sees the close frame, then the
// end of the stream at once, without having to answer.
func TestOrderAbortWhileClosing(t *testing.T) {
	t.Parallel()
	for _, del := range []bool{false, true} {
		rs := newRawServer(t, nil)
		client := wsserver.NewWebSocket("", wsserver.VersionLatest, nil)
		t.Cleanup(client.Delete)
		log := recordSignals(t, client)
		peer := connectRaw(t, rs, client)
		from := len(log.events())
		client.Close(wsserver.CloseCodeNormal, "")
		peer.expectClose(1000, "", true, false) // no answer
		start := time.Now()
		if del {
			client.Delete()
			if d := time.Since(start); d > time.Second {
				t.Errorf("Delete took %v", d)
			}
		} else {
			client.Abort()
			if d := time.Since(start); d > time.Second {
				t.Errorf("Abort took %v", d)
			}
			signaltest.Wait(20 * time.Millisecond)
			log.expectSince("abort after close", from, evAboutToClose, evAboutToClose, evClosing,
				evUnconnected, evDisconnected, evReadFinished)
		}
		peer.waitEOF()
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("delete=%v: the connection ended only after %v", del, d)
		}
	}
}

// TestOrderMessagesAroundConnectAndClose: messages the server sends at
// once arrive after connected(); messages sent just before a close frame
// or a TCP drop arrive before the close sequence (Qt 6.3, QTBUG-100054).
func TestOrderMessagesAroundConnectAndClose(t *testing.T) {
	t.Parallel()
	t.Run("welcome", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		srv.NewConnection.Connect(srv, func() {
			ws := srv.NextPendingConnection()
			t.Cleanup(ws.Delete)
			ws.SendTextMessage("welcome")
		})
		client := newClient(t)
		log := recordSignals(t, client)
		client.Open(srv.ServerUrl().String())
		log.waitFor(`TextMessageReceived("welcome")`)
		log.expect("welcome", evConnecting, evStConnected, evConnected, `TextFrameReceived("welcome",true)`, `TextMessageReceived("welcome")`)
	})
	t.Run("before close frame", func(t *testing.T) {
		t.Parallel()
		client, log, peer := clientWithRawServer(t)
		from := len(log.events())
		var burst []byte
		for _, f := range []wsFrame{{Fin: true, Opcode: opText, Payload: []byte("a")}, {Fin: true, Opcode: opBinary, Payload: []byte("b")},
			{Fin: true, Opcode: opClose, Payload: closePayload(4000, "end")}} {
			burst = append(burst, encodeFrame(f)...)
		}
		_ = peer.writeRaw(burst)
		log.waitFor(evReadFinished)
		log.expectSince("burst", from, `TextFrameReceived("a",true)`, `TextMessageReceived("a")`,
			`BinaryFrameReceived("b",true)`, `BinaryMessageReceived("b")`,
			evAboutToClose, evAboutToClose, evClosing, evUnconnected, evDisconnected, evReadFinished)
		if client.CloseCode() != 4000 {
			t.Errorf("CloseCode = %v", client.CloseCode())
		}
	})
	t.Run("before TCP drop", func(t *testing.T) {
		t.Parallel()
		_, log, peer := clientWithRawServer(t)
		from := len(log.events())
		_ = peer.writeRaw(encodeFrame(wsFrame{Fin: true, Opcode: opText, Payload: []byte("last")}))
		peer.drop()
		log.waitFor(evReadFinished)
		log.expectSince("drop", from, `TextFrameReceived("last",true)`, `TextMessageReceived("last")`,
			errEv(wsserver.RemoteHostClosedError), evClosing, evUnconnected, evDisconnected, evReadFinished)
	})
}

// TestOrderNoMessagesAfterClose: once a slot has called Close, no further
// message is delivered (Qt closes the TCP socket inside close(), so what
// the peer sent afterwards is never processed).
func TestOrderNoMessagesAfterClose(t *testing.T) {
	t.Parallel()
	server, log, peer := serverWithRawClient(t)
	server.TextMessageReceived.Connect(server, func(m string) {
		if m == "stop" {
			server.Close(wsserver.CloseCodeNormal, "stopped")
		}
	})
	for _, m := range []string{"one", "stop", "two", "three"} {
		peer.sendText(m)
	}
	peer.expectClose(1000, "stopped", true, true)
	log.waitFor(evReadFinished)
	log.expect("close in a slot", `TextFrameReceived("one",true)`, `TextMessageReceived("one")`,
		`TextFrameReceived("stop",true)`, `TextMessageReceived("stop")`,
		evAboutToClose, evAboutToClose, evClosing, evUnconnected, evDisconnected, evReadFinished)
}

// TestOrderReopenWhileConnecting: a second Open during the handshake
// replaces the attempt; the state does not change (no second
// stateChanged), and only the second connection completes.
func TestOrderReopenWhileConnecting(t *testing.T) {
	t.Parallel()
	rs := newRawServer(t, func(req *http.Request) string {
		if req.URL.Path == "/hang" {
			return ""
		}
		return respond101(req)
	})
	client := newClient(t)
	log := recordSignals(t, client)
	client.Open(rs.url("/hang"))
	first, _ := rs.peer(0)
	client.Open(rs.url("/ok"))
	log.expect("second Open", evConnecting)
	log.waitFor(evConnected)
	first.waitEOF()
	signaltest.Wait(20 * time.Millisecond)
	log.expect("reopen while connecting", evConnecting, evStConnected, evConnected)
	if u := client.RequestUrl(); u == nil || u.Path != "/ok" {
		t.Errorf("RequestUrl = %v", u)
	}
}

// TestOrderNothingToClose: Close and Abort on a socket that never opened
// emit nothing.
func TestOrderNothingToClose(t *testing.T) {
	t.Parallel()
	client := newClient(t)
	log := recordSignals(t, client)
	client.Close(wsserver.CloseCode(4000), "x")
	client.Abort()
	signaltest.Wait(10 * time.Millisecond)
	log.expect("unopened")
	if client.CloseCode() != wsserver.CloseCodeNormal || client.CloseReason() != "" {
		t.Errorf("CloseCode = %v %q; want unchanged", client.CloseCode(), client.CloseReason())
	}
}
