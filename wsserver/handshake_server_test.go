package wsserver_test

// The server's opening handshake on the wire (qt-websockets-semantics.md
// §1.6–1.9): what each request gets back, and which errors and signals
// the server reports.

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qtgo/qtgo/signals/signaltest"
	"github.com/qtgo/qtgo/wsserver"
)

// srvExchange sends a raw request on a new connection and reads until the
// server closes it (without running the loop: no origin slot is connected).
func srvExchange(t *testing.T, srv *wsserver.WebSocketServer, request string) closeResult {
	t.Helper()
	raw := srvDial(t, srvAddr(srv))
	raw.send(t, request)
	return raw.readToEnd(time.Now())
}

// A request for version 8 only gets Qt's exact 400 with the supported
// versions, and the server reports 1002 "Unsupported version requested.".
func TestServerVersionMismatch(t *testing.T) {
	t.Parallel()
	srv := srvNew(t, "Versions", wsserver.NonSecureMode)
	sp := spyServer(srv)
	srvListen(t, srv)
	for i := range 2 {
		r := srvExchange(t, srv, srvRequest("/", "Sec-WebSocket-Version: 8"))
		const want = "HTTP/1.1 400 Bad Request\r\nSec-WebSocket-Version: 13\r\n\r\n"
		if string(r.data) != want {
			t.Errorf("response = %q; want %q", r.data, want)
		}
		if !r.closedByPeer() {
			t.Errorf("the connection was not closed after the 400: %v", r.err)
		}
		checkError(t, srv, wsserver.CloseCodeProtocolError, "Unsupported version requested.")
		// Twice the same error: one ServerError.
		waitCount(t, sp.errs.Count, 1, fmt.Sprintf("ServerError after request %d", i+1))
		signaltest.Wait(20 * time.Millisecond)
	}
	if c := sp.errs.At(0); c != wsserver.CloseCodeProtocolError {
		t.Errorf("ServerError(%v); want CloseCodeProtocolError", c)
	}
	if n := sp.newConn.Count(); n != 0 {
		t.Errorf("NewConnection emitted %d times", n)
	}
}

// Qt accepts any version list that contains 13, on one line or several.
func TestServerVersionList(t *testing.T) {
	t.Parallel()
	srv := srvNew(t, "", wsserver.NonSecureMode)
	sp := spyServer(srv)
	srvListen(t, srv)
	for i, versions := range [][]string{{"8, 13"}, {"4, 5, 6, 7, 8, 13"}, {"13, 8"}, {"8", "13"}} {
		req := srvRequest("/", "Sec-WebSocket-Version:")
		lines := ""
		for _, v := range versions {
			lines += "Sec-WebSocket-Version: " + v + "\r\n"
		}
		req = strings.TrimSuffix(req, "\r\n") + lines + "\r\n"
		raw := srvDial(t, srvAddr(srv))
		raw.send(t, req)
		resp := raw.mustResponse(t, http.StatusSwitchingProtocols)
		if a := resp.Header.Get("Sec-WebSocket-Accept"); a != srvAccept {
			t.Errorf("versions %q: Sec-WebSocket-Accept = %q", versions, a)
		}
		waitCount(t, sp.newConn.Count, i+1, "NewConnection") // queued in this order
	}
	checkError(t, srv, wsserver.CloseCodeNormal, "")
	// The socket's request keeps the headers as they were received.
	ws := srv.NextPendingConnection()
	t.Cleanup(ws.Delete)
	h := ws.Request().Header
	if v, k := h.Values("Sec-WebSocket-Version"), h.Get("Sec-WebSocket-Key"); !slices.Equal(v, []string{"8, 13"}) || k != srvKey {
		t.Errorf("server-side Request(): Sec-WebSocket-Version %q, Sec-WebSocket-Key %q; want [\"8, 13\"], %q", v, k, srvKey)
	}
}

// Requests Qt finds invalid (§1.9) are closed without an answer, an error
// or a signal, as Qt closes them.
func TestServerInvalidRequests(t *testing.T) {
	t.Parallel()
	srv := srvNew(t, "", wsserver.NonSecureMode)
	sp := spyServer(srv)
	origin := signaltest.NewSpy(&srv.OriginAuthenticationRequired)
	srvListen(t, srv)
	cases := []struct{ name, request string }{
		{"missing key", srvRequest("/", "Sec-WebSocket-Key:")},
		{"POST", srvRequestLine("POST / HTTP/1.1")},
		{"lower-case get", srvRequestLine("get / HTTP/1.1")},
		{"HTTP/1.0", srvRequestLine("GET / HTTP/1.0")},
		{"Upgrade websocket,ftp", srvRequest("/", "Upgrade: websocket,ftp")},
		{"no Upgrade", srvRequest("/", "Upgrade:")},
		{"Connection keep-alive", srvRequest("/", "Connection: keep-alive")},
		{"no version", srvRequest("/", "Sec-WebSocket-Version:")},
		{"version not a number", srvRequest("/", "Sec-WebSocket-Version: thirteen")},
		{"user info", srvRequestLine("GET ws://user:pw@127.0.0.1/ HTTP/1.1")},
		{"not HTTP", "HELLO\r\n\r\n"},
		{"no Connection", srvRequest("/", "Connection:")},
		{"no Host", srvRequest("/", "Host:")}, // net/http's 400
		{"PUT", srvRequestLine("PUT / HTTP/1.1")},
		{"HEAD", srvRequestLine("HEAD / HTTP/1.1")},
		{"OPTIONS", srvRequestLine("OPTIONS / HTTP/1.1")},
		{"CONNECT", srvRequestLine("CONNECT / HTTP/1.1")},
		{"HTTP/0.9 request line", "GET /\r\n\r\n"},
		{"HTTP/1.10", srvRequestLine("GET / HTTP/1.10")}, // Qt reads 1.1: a documented deviation
	}
	for _, c := range cases {
		r := srvExchange(t, srv, c.request)
		if len(r.data) != 0 {
			t.Errorf("%s: response %q; want none (Qt closes an invalid request without an answer)", c.name, r.data)
		}
		if !r.closedByPeer() {
			t.Errorf("%s: the connection was not closed: %v", c.name, r.err)
		}
	}
	signaltest.Wait(50 * time.Millisecond)
	checkError(t, srv, wsserver.CloseCodeNormal, "")
	if sp.errs.Count()+sp.newConn.Count()+origin.Count() != 0 {
		t.Errorf("ServerError %d, NewConnection %d, OriginAuthenticationRequired %d; want none",
			sp.errs.Count(), sp.newConn.Count(), origin.Count())
	}
}

// Qt emits 1009 "Header is too large." for a header over 819204 bytes.
// Here net/http refuses it before the handshake code sees it: the client
// gets no upgrade and the connection ends, but the server reports nothing.
func TestServerHeaderTooLarge(t *testing.T) {
	t.Parallel()
	srv := srvNew(t, "", wsserver.NonSecureMode)
	sp := spyServer(srv)
	srvListen(t, srv)
	raw := srvDial(t, srvAddr(srv))
	end := srvGo(func() closeResult { return raw.readToEndRaw(time.Now()) })
	big := "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: " + strings.Repeat("a", 900_000)
	go func() { _, _ = raw.Write([]byte(big)) }() // may fail once the server hangs up
	r := srvAwait(t, end, srvWait, "the end of the connection")
	if strings.HasPrefix(string(r.data), "HTTP/1.1 101") || !r.closedByPeer() {
		t.Errorf("read %q, %v; want no upgrade and a close", r.data, r.err)
	}
	signaltest.Wait(20 * time.Millisecond)
	if n := sp.newConn.Count(); n != 0 {
		t.Errorf("NewConnection emitted %d times", n)
	}
}

// The 101 carries Qt's headers (§1.8): Server (only with a name), the
// Access-Control ones, Date; no Sec-WebSocket-Protocol or -Extensions
// unless negotiated.
func TestServerHandshakeResponseHeaders(t *testing.T) {
	t.Parallel()
	srv := srvNew(t, "QtGo Test Server/1.0", wsserver.NonSecureMode)
	srvListen(t, srv)
	raw := srvDial(t, srvAddr(srv))
	before := time.Now().Add(-2 * time.Second)
	resp := raw.upgrade(t, "/chat", "Origin: http://example.com",
		"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")
	if resp.Proto != "HTTP/1.1" || resp.Status != "101 Switching Protocols" {
		t.Errorf("status line %s %s", resp.Proto, resp.Status)
	}
	want := map[string]string{
		"Upgrade":                          "websocket",
		"Connection":                       "Upgrade",
		"Sec-WebSocket-Accept":             srvAccept,
		"Server":                           "QtGo Test Server/1.0",
		"Access-Control-Allow-Credentials": "false",
		"Access-Control-Allow-Methods":     "GET",
		"Access-Control-Allow-Headers":     "content-type",
		"Access-Control-Allow-Origin":      "http://example.com",
	}
	for name, v := range want {
		if got := resp.Header.Values(name); len(got) != 1 || got[0] != v {
			t.Errorf("%s: %q; want %q", name, got, v)
		}
	}
	for _, name := range []string{"Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions"} {
		if got, ok := resp.Header[http.CanonicalHeaderKey(name)]; ok {
			t.Errorf("%s: %q; want none", name, got)
		}
	}
	date, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil || date.Before(before) || date.After(time.Now().Add(2*time.Second)) {
		t.Errorf("Date: %q (%v); want the current time", resp.Header.Get("Date"), err)
	}

	// No Origin: "*". No name: no Server header.
	srv.SetServerName("")
	raw = srvDial(t, srvAddr(srv))
	resp = raw.upgrade(t, "/")
	if o := resp.Header.Get("Access-Control-Allow-Origin"); o != "*" {
		t.Errorf("Access-Control-Allow-Origin without Origin = %q; want *", o)
	}
	if s, ok := resp.Header["Server"]; ok {
		t.Errorf("Server: %q with an empty server name; want none", s)
	}

	// On the wire the WebSocket headers have RFC 6455's spelling, as Qt's.
	srv.SetSupportedSubprotocols([]string{"chat"})
	raw = srvDial(t, srvAddr(srv))
	raw.send(t, srvRequest("/", "Sec-WebSocket-Protocol: chat"))
	var head strings.Builder
	err = srvAwait(t, srvGo(func() error { // the server answers from this goroutine's loop
		for !strings.HasSuffix(head.String(), "\r\n\r\n") {
			line, err := raw.br.ReadString('\n')
			head.WriteString(line)
			if err != nil {
				return err
			}
		}
		return nil
	}), srvWait, "the 101")
	if err != nil {
		t.Fatalf("reading the 101: %v (%q)", err, head.String())
	}
	for _, h := range []string{"\r\nSec-WebSocket-Accept: " + srvAccept + "\r\n", "\r\nSec-WebSocket-Protocol: chat\r\n"} {
		if !strings.Contains(head.String(), h) {
			t.Errorf("the 101 %q lacks %q", head.String(), h)
		}
	}
}

// The subprotocol is the first of the client's, in the client's order,
// that the server supports, matched case-sensitively (§1.8).
func TestServerSubprotocols(t *testing.T) {
	t.Parallel()
	srv := srvNew(t, "", wsserver.NonSecureMode)
	sp := spyServer(srv)
	srv.SetSupportedSubprotocols([]string{"chat", "superchat"})
	srvListen(t, srv)
	cases := []struct {
		name   string
		lines  []string // Sec-WebSocket-Protocol lines
		want   string
		client []string // HandshakeOptions().Subprotocols() on the server side
	}{
		{"client order wins", []string{"superchat, chat"}, "superchat", []string{"superchat", "chat"}},
		{"first supported", []string{"foo, chat"}, "chat", []string{"foo", "chat"}},
		{"none supported", []string{"foo"}, "", []string{"foo"}},
		{"case-sensitive", []string{"Chat, SUPERCHAT"}, "", []string{"Chat", "SUPERCHAT"}},
		{"several lines", []string{"foo", "superchat , chat"}, "superchat", []string{"foo", "superchat", "chat"}},
		{"none asked", nil, "", nil},
	}
	for i, c := range cases {
		req := srvRequest("/")
		for _, l := range c.lines {
			req = strings.TrimSuffix(req, "\r\n") + "Sec-WebSocket-Protocol: " + l + "\r\n\r\n"
		}
		raw := srvDial(t, srvAddr(srv))
		raw.send(t, req)
		resp := raw.mustResponse(t, http.StatusSwitchingProtocols)
		if got := resp.Header.Values("Sec-WebSocket-Protocol"); c.want == "" && len(got) != 0 || c.want != "" && !slices.Equal(got, []string{c.want}) {
			t.Errorf("%s: Sec-WebSocket-Protocol %q; want %q", c.name, got, c.want)
		}
		waitCount(t, sp.newConn.Count, i+1, "NewConnection")
		ws := srv.NextPendingConnection()
		t.Cleanup(ws.Delete)
		if p := ws.Subprotocol(); p != c.want {
			t.Errorf("%s: server-side Subprotocol() = %q; want %q", c.name, p, c.want)
		}
		if p := ws.HandshakeOptions().Subprotocols(); !slices.Equal(p, c.client) {
			t.Errorf("%s: server-side HandshakeOptions().Subprotocols() = %q; want %q", c.name, p, c.client)
		}
	}

	// A WebSocket client sees the choice too.
	c := wsserver.NewWebSocket("", wsserver.VersionLatest, nil)
	t.Cleanup(c.Delete)
	connected := signaltest.NewSpy0(&c.Connected)
	var opts wsserver.WebSocketHandshakeOptions
	opts.SetSubprotocols([]string{"superchat", "chat"})
	c.Open(srv.ServerUrl().String(), opts)
	if !connected.Wait(srvWait) {
		t.Fatalf("not connected: %s", c.ErrorString())
	}
	if p := c.Subprotocol(); p != "superchat" {
		t.Errorf("client Subprotocol() = %q; want superchat", p)
	}
}

// A server name with CR or LF is refused with a warning (Qt sends it and
// garbles its response: a deviation).
func TestServerSetServerNameNewline(t *testing.T) {
	warnings := captureWarnings(t) // not parallel: the handler is global
	srv := srvNew(t, "Good", wsserver.NonSecureMode)
	sp := spyServer(srv)
	for _, bad := range []string{"Bad\r\nX-Injected: 1", "a\nb", "a\rb"} {
		srv.SetServerName(bad)
		if n := srv.ServerName(); n != "Good" {
			t.Errorf("SetServerName(%q): ServerName() = %q; want it unchanged", bad, n)
		}
	}
	if w := warnings(); len(w) != 3 || !strings.Contains(w[0], "setServerName") {
		t.Errorf("warnings = %q; want three from setServerName", w)
	}
	srvListen(t, srv)
	raw := srvDial(t, srvAddr(srv))
	resp := raw.upgrade(t, "/")
	if s := resp.Header.Get("Server"); s != "Good" || resp.Header.Get("X-Injected") != "" {
		t.Errorf("Server: %q, X-Injected: %q", s, resp.Header.Get("X-Injected"))
	}
	signaltest.Wait(20 * time.Millisecond)
	checkError(t, srv, wsserver.CloseCodeNormal, "")
	if n := sp.errs.Count(); n != 0 {
		t.Errorf("ServerError emitted %d times", n)
	}
}

// Qt uses the key as received and does not check that it is 16 bytes in
// base64 (§1.8): "AVDFBDDFF" is accepted, with the matching accept value.
func TestServerAnyNonEmptyKey(t *testing.T) {
	t.Parallel()
	srv := srvNew(t, "", wsserver.NonSecureMode)
	sp := spyServer(srv)
	srvListen(t, srv)
	for i, key := range []string{"AVDFBDDFF", "not base64 at all!", srvKey} {
		raw := srvDial(t, srvAddr(srv))
		resp := raw.upgrade(t, "/", "Sec-WebSocket-Key: "+key)
		sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		if got, want := resp.Header.Get("Sec-WebSocket-Accept"), base64.StdEncoding.EncodeToString(sum[:]); got != want {
			t.Errorf("key %q: Sec-WebSocket-Accept %q; want %q", key, got, want)
		}
		waitCount(t, sp.newConn.Count, i+1, "NewConnection")
	}
}
