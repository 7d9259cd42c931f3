package wsserver_test

// Tests of WebSocketServer (QWebSocketServer), written from Qt's behaviour
// (qt-websockets-semantics.md §1): signal order and counts, error codes and
// strings, what a peer sees on the wire. Raw TCP clients are used wherever
// the wire matters; the helpers below are shared with
// handshake_server_test.go, tls_test.go and interop_test.go.

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/qtgo/qtgo/signals"
	"github.com/qtgo/qtgo/signals/signaltest"
	"github.com/qtgo/qtgo/wsserver"
)

// srvWait bounds every wait of these tests.
const srvWait = 5 * time.Second

// srvNew returns a server deleted when the test ends.
func srvNew(t *testing.T, name string, mode wsserver.SslMode) *wsserver.WebSocketServer {
	t.Helper()
	srv := wsserver.NewWebSocketServer(name, mode, nil)
	t.Cleanup(srv.Delete)
	return srv
}

// srvListen makes srv listen on 127.0.0.1 on a free port.
func srvListen(t *testing.T, srv *wsserver.WebSocketServer) {
	t.Helper()
	if !srv.Listen(wsserver.LocalHost, 0) {
		t.Fatalf("Listen(LocalHost, 0) = false: %s", srv.ErrorString())
	}
}

// srvAddr is the host:port a client dials.
func srvAddr(srv *wsserver.WebSocketServer) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(int(srv.ServerPort())))
}

// srvEcho takes every new connection and echoes its messages, as Qt's
// echoserver example does. The taken sockets are deleted at the end of the
// test (or when they disconnect).
func srvEcho(t *testing.T, srv *wsserver.WebSocketServer) {
	t.Helper()
	srv.NewConnection.Connect(srv, func() {
		ws := srv.NextPendingConnection()
		if ws == nil {
			return // another slot took it
		}
		ws.TextMessageReceived.Connect(ws, func(m string) { ws.SendTextMessage(m) })
		ws.BinaryMessageReceived.Connect(ws, func(b []byte) { ws.SendBinaryMessage(b) })
		ws.Disconnected.Connect(ws, ws.DeleteLater)
		t.Cleanup(ws.Delete)
	})
}

// srvClient opens a client socket on url and waits until it is connected.
func srvClient(t *testing.T, url string) *wsserver.WebSocket {
	t.Helper()
	c := wsserver.NewWebSocket("", wsserver.VersionLatest, nil)
	t.Cleanup(c.Delete)
	connected := signaltest.NewSpy0(&c.Connected)
	c.Open(url)
	if !connected.Wait(srvWait) {
		t.Fatalf("client to %s not connected: %v %q", url, c.Error(), c.ErrorString())
	}
	return c
}

// srvRoundTrip sends text on c and waits for the same text to come back.
func srvRoundTrip(t *testing.T, c *wsserver.WebSocket, text string) {
	t.Helper()
	got := signaltest.NewSpy(&c.TextMessageReceived)
	defer got.Close()
	if n := c.SendTextMessage(text); n != int64(len(text)) {
		t.Fatalf("SendTextMessage(%q) = %d; want %d", text, n, len(text))
	}
	if !got.Wait(srvWait) {
		t.Fatalf("no echo of %q (state %v)", text, c.State())
	}
	if m := got.At(0); m != text {
		t.Fatalf("echo = %q; want %q", m, text)
	}
}

// srvAwait runs the test goroutine's loop until ch delivers, and fails the
// test after d.
func srvAwait[T any](t *testing.T, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	var v T
	got := false
	signaltest.WaitFor(func() bool {
		if !got {
			select {
			case v = <-ch:
				got = true
			default:
			}
		}
		return got
	}, d)
	if !got {
		t.Fatalf("timed out after %v waiting for %s", d, what)
	}
	return v
}

// srvGo runs fn on a goroutine and delivers its result.
func srvGo[T any](fn func() T) <-chan T {
	ch := make(chan T, 1)
	go func() { ch <- fn() }()
	return ch
}

// A rawConn is a TCP client that speaks HTTP and WebSocket frames by hand.
type rawConn struct {
	net.Conn
	br *bufio.Reader
}

// srvDial connects a raw client to addr; it is closed when the test ends,
// and every read or write fails after 10 s.
func srvDial(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, srvWait)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawConn{Conn: c, br: bufio.NewReader(c)}
}

// srvRawConn wraps an existing connection.
func srvRawConn(t *testing.T, c net.Conn) *rawConn {
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawConn{Conn: c, br: bufio.NewReader(c)}
}

// The RFC 6455 example key and its accept value.
const (
	srvKey    = "dGhlIHNhbXBsZSBub25jZQ=="
	srvAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
)

// srvRequest builds an opening handshake for target. Each extra header
// "Name: value" replaces the default of that name; "Name:" removes it.
func srvRequest(target string, extra ...string) string {
	return srvRequestLine("GET "+target+" HTTP/1.1", extra...)
}

func srvRequestLine(requestLine string, extra ...string) string {
	headers := []string{
		"Host: 127.0.0.1",
		"Upgrade: websocket",
		"Connection: Upgrade",
		"Sec-WebSocket-Key: " + srvKey,
		"Sec-WebSocket-Version: 13",
	}
	for _, e := range extra {
		name, value, _ := strings.Cut(e, ":")
		value = strings.TrimSpace(value)
		replaced := false
		for i, h := range headers {
			if n, _, _ := strings.Cut(h, ":"); strings.EqualFold(n, name) && !replaced {
				headers[i], replaced = e, true
			}
		}
		if !replaced {
			headers = append(headers, e)
		}
		if value == "" {
			headers = slices.DeleteFunc(headers, func(h string) bool {
				n, _, _ := strings.Cut(h, ":")
				return strings.EqualFold(n, name)
			})
		}
	}
	return requestLine + "\r\n" + strings.Join(headers, "\r\n") + "\r\n\r\n"
}

func (c *rawConn) send(t *testing.T, s string) {
	t.Helper()
	if _, err := io.WriteString(c, s); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// response reads an HTTP response (the connection stays usable for frames
// after a 101).
func (c *rawConn) response() (*http.Response, error) {
	type result struct {
		resp *http.Response
		err  error
	}
	// The server answers from its loop, which may be this goroutine's.
	r, ok := signaltest.Receive(srvGo(func() result {
		resp, err := http.ReadResponse(c.br, nil)
		return result{resp, err}
	}), 2*srvWait)
	if !ok {
		return nil, errors.New("no response")
	}
	resp, err := r.resp, r.err
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	return resp, nil
}

// mustResponse reads a response, running the loop meanwhile.
func (c *rawConn) mustResponse(t *testing.T, want int) *http.Response {
	t.Helper()
	resp, err := c.response()
	if err != nil {
		t.Fatalf("reading the handshake response: %v", err)
	}
	if resp.StatusCode != want {
		t.Fatalf("status = %q; want %d", resp.Status, want)
	}
	return resp
}

// upgrade sends a handshake for target and reads the 101.
func (c *rawConn) upgrade(t *testing.T, target string, extra ...string) *http.Response {
	t.Helper()
	c.send(t, srvRequest(target, extra...))
	return c.mustResponse(t, http.StatusSwitchingProtocols)
}

// closeResult is how a connection ended as seen by a reader.
type closeResult struct {
	data    []byte // what was read before the end
	err     error  // io.EOF, a reset, or a timeout
	elapsed time.Duration
}

// closedByPeer reports whether the connection ended because the peer
// closed it (EOF or reset), not because of a local deadline.
func (r closeResult) closedByPeer() bool {
	var ne net.Error
	return r.err != nil && !(errors.As(r.err, &ne) && ne.Timeout())
}

// readToEnd reads until the connection ends, and measures from start,
// running the loop meanwhile (the server answers from it).
func (c *rawConn) readToEnd(start time.Time) closeResult {
	r, _ := signaltest.Receive(srvGo(func() closeResult { return c.readToEndRaw(start) }), time.Minute)
	return r
}

// readToEndRaw is readToEnd for a goroutine without a loop to run.
func (c *rawConn) readToEndRaw(start time.Time) closeResult {
	var buf []byte
	p := make([]byte, 4096)
	for {
		n, err := c.br.Read(p)
		buf = append(buf, p[:n]...)
		if err != nil {
			return closeResult{data: buf, err: err, elapsed: time.Since(start)}
		}
	}
}

// frame is one WebSocket frame.
type frame struct {
	fin     bool
	op      byte
	payload []byte
}

// closeCode returns the code and reason of a close frame.
func (f frame) closeCode() (wsserver.CloseCode, string) {
	if len(f.payload) < 2 {
		return wsserver.CloseCodeNormal, ""
	}
	return wsserver.CloseCode(binary.BigEndian.Uint16(f.payload)), string(f.payload[2:])
}

// readFrame reads one (unmasked, server-to-client) frame.
func (c *rawConn) readFrame() (frame, error) {
	var h [2]byte
	if _, err := io.ReadFull(c.br, h[:]); err != nil {
		return frame{}, err
	}
	f := frame{fin: h[0]&0x80 != 0, op: h[0] & 0x0f}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(c.br, b[:]); err != nil {
			return frame{}, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(c.br, b[:]); err != nil {
			return frame{}, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if h[1]&0x80 != 0 {
		return frame{}, errors.New("server frame is masked")
	}
	if n > 1<<20 {
		return frame{}, fmt.Errorf("frame of %d bytes", n)
	}
	f.payload = make([]byte, n)
	_, err := io.ReadFull(c.br, f.payload)
	return f, err
}

// readDataFrame reads frames until a non-control one (or a close).
func (c *rawConn) readDataFrame() (frame, error) {
	for {
		f, err := c.readFrame()
		if err != nil || f.op < 0x8 || f.op == 0x8 {
			return f, err
		}
	}
}

// maskedFrame builds a client frame with FIN set.
func maskedFrame(op byte, payload []byte) []byte {
	b := []byte{0x80 | op}
	switch n := len(payload); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n <= math.MaxUint16:
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	b = append(b, key[:]...)
	for i, p := range payload {
		b = append(b, p^key[i%4])
	}
	return b
}

// closeFrame builds a masked client close frame.
func closeFrame(code wsserver.CloseCode, reason string) []byte {
	p := binary.BigEndian.AppendUint16(nil, uint16(code))
	return maskedFrame(0x8, append(p, reason...))
}

// srvWarnings serializes the tests that install a message handler (it is
// process-wide). Those tests do not call t.Parallel, so no parallel test
// runs while they do.
var srvWarnings sync.Mutex

// captureWarnings installs a handler that records warnings until the test
// ends.
func captureWarnings(t *testing.T) func() []string {
	t.Helper()
	srvWarnings.Lock()
	var mu sync.Mutex
	var got []string
	prev := signals.InstallMessageHandler(func(m string) {
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
	})
	t.Cleanup(func() {
		signals.InstallMessageHandler(prev)
		srvWarnings.Unlock()
	})
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}
}

// serverSpies records the server's signals.
type serverSpies struct {
	newConn  *signaltest.Spy0
	errs     *signaltest.Spy[wsserver.CloseCode]
	closed   *signaltest.Spy0
	accept   *signaltest.Spy[wsserver.SocketError]
	sslErrs  *signaltest.Spy[[]wsserver.SslError]
	peerErrs *signaltest.Spy[wsserver.SslError]
}

func spyServer(srv *wsserver.WebSocketServer) *serverSpies {
	return &serverSpies{
		newConn:  signaltest.NewSpy0(&srv.NewConnection),
		errs:     signaltest.NewSpy(&srv.ServerError),
		closed:   signaltest.NewSpy0(&srv.Closed),
		accept:   signaltest.NewSpy(&srv.AcceptError),
		sslErrs:  signaltest.NewSpy(&srv.SslErrors),
		peerErrs: signaltest.NewSpy(&srv.PeerVerifyError),
	}
}

// waitCount runs the loop until the spy has recorded n emissions.
func waitCount(t *testing.T, count func() int, n int, what string) {
	t.Helper()
	if !signaltest.WaitFor(func() bool { return count() >= n }, srvWait) {
		t.Fatalf("%s: %d emissions after %v; want %d", what, count(), srvWait, n)
	}
	if c := count(); c != n {
		t.Fatalf("%s: %d emissions; want %d", what, c, n)
	}
}

// checkError checks the server's sticky error.
func checkError(t *testing.T, srv *wsserver.WebSocketServer, code wsserver.CloseCode, s string) {
	t.Helper()
	if got := srv.Error(); got != code {
		t.Errorf("Error() = %v; want %v", got, code)
	}
	if got := srv.ErrorString(); got != s {
		t.Errorf("ErrorString() = %q; want %q", got, s)
	}
}

// checkNotListening checks the accessors of a server that does not listen
// (Qt: port 0, Null address, empty URL, descriptor -1).
func checkNotListening(t *testing.T, srv *wsserver.WebSocketServer) {
	t.Helper()
	if srv.IsListening() {
		t.Error("IsListening() = true")
	}
	if p := srv.ServerPort(); p != 0 {
		t.Errorf("ServerPort() = %d; want 0", p)
	}
	if a := srv.ServerAddress(); !a.Equal(wsserver.Null) {
		t.Errorf("ServerAddress() = %q; want Null", a)
	}
	if u := srv.ServerUrl(); u != nil {
		t.Errorf("ServerUrl() = %v; want nil", u)
	}
	if fd := srv.SocketDescriptor(); fd != -1 {
		t.Errorf("SocketDescriptor() = %d; want -1", fd)
	}
}

// TestServerDefaults is tst_initialisation and tst_settersAndGetters.
func TestServerDefaults(t *testing.T) {
	t.Parallel()
	srv := srvNew(t, "", wsserver.NonSecureMode)
	sp := spyServer(srv)
	check := func() {
		t.Helper()
		if n := srv.ServerName(); n != "" {
			t.Errorf("ServerName() = %q; want \"\"", n)
		}
		if m := srv.SecureMode(); m != wsserver.NonSecureMode {
			t.Errorf("SecureMode() = %v", m)
		}
		if n := srv.MaxPendingConnections(); n != 30 {
			t.Errorf("MaxPendingConnections() = %d; want 30", n)
		}
		if d := srv.HandshakeTimeout(); d != 10*time.Second {
			t.Errorf("HandshakeTimeout() = %v; want 10s", d)
		}
		checkError(t, srv, wsserver.CloseCodeNormal, "")
		if v := srv.SupportedVersions(); !slices.Equal(v, []wsserver.Version{wsserver.Version13}) || v[0] != wsserver.VersionLatest {
			t.Errorf("SupportedVersions() = %v; want [Version13]", v)
		}
		if p := srv.SupportedSubprotocols(); len(p) != 0 {
			t.Errorf("SupportedSubprotocols() = %q; want none", p)
		}
		if p := srv.Proxy(); p.Type != wsserver.DefaultProxy {
			t.Errorf("Proxy() = %v; want DefaultProxy", p)
		}
		if c := srv.SslConfiguration(); c != nil {
			t.Errorf("SslConfiguration() = %v; want nil in NonSecureMode", c)
		}
		if srv.HasPendingConnections() {
			t.Error("HasPendingConnections() = true")
		}
		if ws := srv.NextPendingConnection(); ws != nil {
			t.Errorf("NextPendingConnection() = %v; want nil", ws)
		}
		checkNotListening(t, srv)
	}
	check()

	// Closing a server that never listened changes nothing, and Closed is
	// still emitted, later (queued).
	srv.Close()
	if n := sp.closed.Count(); n != 0 {
		t.Fatalf("Closed emitted inside Close (%d times); Qt queues it", n)
	}
	waitCount(t, sp.closed.Count, 1, "Closed")
	check()
	// Each Close queues one Closed.
	srv.Close()
	srv.Close()
	waitCount(t, sp.closed.Count, 3, "Closed")
	if sp.errs.Count()+sp.newConn.Count()+sp.accept.Count() != 0 {
		t.Errorf("unexpected signals: ServerError %d, NewConnection %d, AcceptError %d",
			sp.errs.Count(), sp.newConn.Count(), sp.accept.Count())
	}

	// Setters and getters; no validation, as in Qt.
	for _, n := range []int{23, math.MinInt32, math.MaxInt32} {
		srv.SetMaxPendingConnections(n)
		if got := srv.MaxPendingConnections(); got != n {
			t.Errorf("MaxPendingConnections() = %d after Set(%d)", got, n)
		}
	}
	if srv.SetSocketDescriptor(-2) {
		t.Error("SetSocketDescriptor(-2) = true")
	}
	if fd := srv.SocketDescriptor(); fd != -1 {
		t.Errorf("SocketDescriptor() = %d after a failed SetSocketDescriptor; want -1", fd)
	}
	checkError(t, srv, wsserver.CloseCodeNormal, "") // a failed SetSocketDescriptor sets no error
	srv.SetServerName("Qt WebSocketServer")
	if n := srv.ServerName(); n != "Qt WebSocketServer" {
		t.Errorf("ServerName() = %q", n)
	}
	srv.SetProxy(wsserver.NetworkProxy{Type: wsserver.Socks5Proxy})
	if p := srv.Proxy(); p.Type != wsserver.Socks5Proxy {
		t.Errorf("Proxy() = %v; want Socks5Proxy", p)
	}
	srv.SetHandshakeTimeout(1500 * time.Millisecond)
	if d := srv.HandshakeTimeout(); d != 1500*time.Millisecond {
		t.Errorf("HandshakeTimeout() = %v", d)
	}
	protos := []string{"chat", "superchat"}
	srv.SetSupportedSubprotocols(protos)
	protos[0] = "changed" // the server keeps its own copy
	if p := srv.SupportedSubprotocols(); !slices.Equal(p, []string{"chat", "superchat"}) {
		t.Errorf("SupportedSubprotocols() = %q", p)
	}

	sec := srvNew(t, "", wsserver.SecureMode)
	if m := sec.SecureMode(); m != wsserver.SecureMode {
		t.Errorf("SecureMode() = %v; want SecureMode", m)
	}
}

func TestServerListenLocalHost(t *testing.T) {
	t.Parallel()
	srv := srvNew(t, "", wsserver.NonSecureMode)
	sp := spyServer(srv)
	srvListen(t, srv)
	if !srv.IsListening() {
		t.Fatal("IsListening() = false after Listen")
	}
	port := srv.ServerPort()
	if port == 0 {
		t.Fatal("ServerPort() = 0 while listening")
	}
	if a := srv.ServerAddress(); !a.Equal(wsserver.LocalHost) {
		t.Errorf("ServerAddress() = %q; want 127.0.0.1", a)
	}
	if u := srv.ServerUrl(); u == nil || u.String() != fmt.Sprintf("ws://127.0.0.1:%d", port) {
		t.Errorf("ServerUrl() = %v; want ws://127.0.0.1:%d", u, port)
	}
	if fd := srv.SocketDescriptor(); fd < 0 {
		t.Errorf("SocketDescriptor() = %d while listening", fd)
	}
	srvEcho(t, srv)
	c := srvClient(t, srv.ServerUrl().String())
	srvRoundTrip(t, c, "hello")
	checkError(t, srv, wsserver.CloseCodeNormal, "")
	if sp.errs.Count() != 0 || sp.newConn.Count() != 1 {
		t.Errorf("ServerError %d, NewConnection %d; want 0, 1", sp.errs.Count(), sp.newConn.Count())
	}
}

// TestServerListenAny is tst_connectivity: on Any, ServerAddress is Any and
// ServerUrl names 127.0.0.1.
func TestServerListenAny(t *testing.T) {
	t.Parallel()
	srv := srvNew(t, "", wsserver.NonSecureMode)
	sp := spyServer(srv)
	origin := signaltest.NewSpy(&srv.OriginAuthenticationRequired)
	if !srv.Listen(wsserver.Any, 0) {
		t.Fatalf("Listen(Any, 0): %s", srv.ErrorString())
	}
	if a := srv.ServerAddress(); !a.Equal(wsserver.Any) {
		t.Errorf("ServerAddress() = %q; want Any", a)
	}
	want := fmt.Sprintf("ws://127.0.0.1:%d", srv.ServerPort())
	if u := srv.ServerUrl(); u == nil || u.String() != want {
		t.Fatalf("ServerUrl() = %v; want %s", u, want)
	}
	c := srvClient(t, srv.ServerUrl().String())
	if c.State() != wsserver.ConnectedState {
		t.Fatalf("client state %v", c.State())
	}
	waitCount(t, sp.newConn.Count, 1, "NewConnection")
	if n := origin.Count(); n != 1 {
		t.Errorf("OriginAuthenticationRequired emitted %d times; want 1", n)
	}
	srv.Close()
	waitCount(t, sp.closed.Count, 1, "Closed")
	if sp.errs.Count() != 0 || sp.sslErrs.Count() != 0 || sp.peerErrs.Count() != 0 {
		t.Errorf("unexpected ServerError/SslErrors/PeerVerifyError")
	}
}

func TestServerListenIPv6(t *testing.T) {
	t.Parallel()
	probe, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("::1 is not available: %v", err)
	}
	_ = probe.Close()
	srv := srvNew(t, "", wsserver.NonSecureMode)
	if !srv.Listen(wsserver.LocalHostIPv6, 0) {
		t.Fatalf("Listen(LocalHostIPv6, 0): %s", srv.ErrorString())
	}
	if a := srv.ServerAddress(); !a.Equal(wsserver.LocalHostIPv6) {
		t.Errorf("ServerAddress() = %q; want ::1", a)
	}
	want := fmt.Sprintf("ws://[::1]:%d", srv.ServerPort())
	if u := srv.ServerUrl(); u == nil || u.String() != want {
		t.Fatalf("ServerUrl() = %v; want %s", u, want)
	}
	srvEcho(t, srv)
	c := srvClient(t, want)
	srvRoundTrip(t, c, "over IPv6")
	if a := c.PeerAddress(); !a.Equal(wsserver.LocalHostIPv6) {
		t.Errorf("client PeerAddress() = %q; want ::1", a)
	}
}

// Listening twice is refused by QTcpServer with a warning; nothing else
// changes.
func TestServerListenTwice(t *testing.T) {
	warnings := captureWarnings(t) // not parallel: the handler is global
	srv := srvNew(t, "", wsserver.NonSecureMode)
	sp := spyServer(srv)
	srvListen(t, srv)
	port := srv.ServerPort()
	if srv.Listen(wsserver.LocalHost, 0) {
		t.Fatal("second Listen = true")
	}
	if !srv.IsListening() || srv.ServerPort() != port {
		t.Errorf("after a refused Listen: listening %v, port %d; want true, %d", srv.IsListening(), srv.ServerPort(), port)
	}
	w := warnings()
	if len(w) != 1 || !strings.Contains(w[0], "listen() called when already listening") {
		t.Errorf("warnings = %q; want QTcpServer's \"listen() called when already listening\"", w)
	}
	signaltest.Wait(20 * time.Millisecond)
	checkError(t, srv, wsserver.CloseCodeNormal, "")
	if n := sp.errs.Count(); n != 0 {
		t.Errorf("ServerError emitted %d times", n)
	}
}

// A failed Listen sets Error 1006 with QtNetwork's string and emits
// ServerError once per distinct (code, string).
func TestServerListenErrors(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := uint16(busy.Addr().(*net.TCPAddr).Port)

	srv := srvNew(t, "", wsserver.NonSecureMode)
	sp := spyServer(srv)
	const inUse = "The bound address is already in use"
	const notAvailable = "The address is not available"

	if srv.Listen(wsserver.LocalHost, port) {
		t.Fatal("Listen on a port in use = true")
	}
	checkError(t, srv, wsserver.CloseCodeAbnormalDisconnection, inUse)
	checkNotListening(t, srv)
	waitCount(t, sp.errs.Count, 1, "ServerError")
	if c := sp.errs.At(0); c != wsserver.CloseCodeAbnormalDisconnection {
		t.Errorf("ServerError(%v); want CloseCodeAbnormalDisconnection", c)
	}

	// The same failure again: same (code, string), no second ServerError.
	if srv.Listen(wsserver.LocalHost, port) {
		t.Fatal("Listen on a port in use = true")
	}
	signaltest.Wait(20 * time.Millisecond)
	if n := sp.errs.Count(); n != 1 {
		t.Errorf("ServerError emitted %d times after the same failure twice; want 1", n)
	}

	// A different failure (an address that is not on this host, as in
	// tst_listening) is a new error.
	if srv.Listen(wsserver.NewHostAddress("192.0.2.1"), 0) {
		t.Fatal("Listen on 192.0.2.1 = true")
	}
	checkError(t, srv, wsserver.CloseCodeAbnormalDisconnection, notAvailable)
	waitCount(t, sp.errs.Count, 2, "ServerError")
	// And back to the first one: it differs from the stored pair again.
	srv.Listen(wsserver.LocalHost, port)
	waitCount(t, sp.errs.Count, 3, "ServerError")
	checkError(t, srv, wsserver.CloseCodeAbnormalDisconnection, inUse)

	// Errors are sticky: a successful Listen does not clear them.
	srvListen(t, srv)
	checkError(t, srv, wsserver.CloseCodeAbnormalDisconnection, inUse)
	signaltest.Wait(20 * time.Millisecond)
	if n := sp.errs.Count(); n != 3 {
		t.Errorf("ServerError emitted %d times; want 3", n)
	}
	if sp.accept.Count()+sp.newConn.Count()+sp.closed.Count() != 0 {
		t.Error("unexpected AcceptError, NewConnection or Closed")
	}
}

// TestServerClose follows §1.10: the listening socket goes, pending sockets
// get 1001 "Server closed.", handed-out sockets and handshakes under way
// are untouched, Closed is queued, and the settings survive.
func TestServerClose(t *testing.T) {
	t.Parallel()
	srv := srvNew(t, "CloseTest", wsserver.NonSecureMode)
	sp := spyServer(srv)
	srvListen(t, srv)
	srv.SetMaxPendingConnections(7)
	srv.SetHandshakeTimeout(4 * time.Second)
	srv.SetSupportedSubprotocols([]string{"chat"})
	addr := srvAddr(srv)

	// A: handed out and echoing.
	a := srvClient(t, srv.ServerUrl().String())
	waitCount(t, sp.newConn.Count, 1, "NewConnection")
	sa := srv.NextPendingConnection()
	if sa == nil {
		t.Fatal("NextPendingConnection() = nil")
	}
	t.Cleanup(sa.Delete)
	sa.TextMessageReceived.Connect(sa, func(m string) { sa.SendTextMessage(m) })

	// B: upgraded and pending.
	b := srvDial(t, addr)
	b.upgrade(t, "/b")
	waitCount(t, sp.newConn.Count, 2, "NewConnection")

	// C: handshake under way (the header is not complete).
	c := srvDial(t, addr)
	req := srvRequest("/c")
	c.send(t, req[:len(req)-2])
	signaltest.Wait(100 * time.Millisecond) // let the server accept C

	srv.Close()
	checkNotListening(t, srv)
	if n := sp.closed.Count(); n != 0 {
		t.Fatal("Closed emitted inside Close; Qt queues it")
	}
	if srv.HasPendingConnections() {
		t.Error("HasPendingConnections() = true after Close")
	}

	// B's peer gets the close frame.
	bEnd := srvGo(func() error {
		f, err := b.readDataFrame()
		if err != nil {
			return err
		}
		if code, reason := f.closeCode(); f.op != 0x8 || code != wsserver.CloseCodeGoingAway || reason != "Server closed." {
			return fmt.Errorf("got frame op %#x %v %q; want close 1001 \"Server closed.\"", f.op, code, reason)
		}
		_, err = b.Write(closeFrame(wsserver.CloseCodeGoingAway, "")) // answer it
		return err
	})
	waitCount(t, sp.closed.Count, 1, "Closed")
	if err := srvAwait(t, bEnd, srvWait, "B's close frame"); err != nil {
		t.Errorf("pending socket's peer: %v", err)
	}

	// A still works.
	srvRoundTrip(t, a, "still here")

	// C's handshake completes and is announced after Close.
	c.send(t, "\r\n")
	c.mustResponse(t, http.StatusSwitchingProtocols)
	waitCount(t, sp.newConn.Count, 3, "NewConnection")
	if ws := srv.NextPendingConnection(); ws == nil {
		t.Error("the handshake completed after Close is not pending")
	} else {
		ws.Delete()
	}

	// Nothing listens any more.
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Error("the port still accepts connections after Close")
	}

	// The settings survive.
	if srv.ServerName() != "CloseTest" || srv.MaxPendingConnections() != 7 ||
		srv.HandshakeTimeout() != 4*time.Second || !slices.Equal(srv.SupportedSubprotocols(), []string{"chat"}) ||
		srv.SecureMode() != wsserver.NonSecureMode {
		t.Error("a setting did not survive Close")
	}
	if n := sp.errs.Count(); n != 0 {
		t.Errorf("ServerError emitted %d times", n)
	}

	// Listening again works.
	srvListen(t, srv)
	srvEcho(t, srv)
	d := srvClient(t, srv.ServerUrl().String())
	srvRoundTrip(t, d, "again")
	if n := sp.closed.Count(); n != 1 {
		t.Errorf("Closed emitted %d times; want 1", n)
	}
}

// Close may be called from any goroutine; Closed is emitted on the
// server's loop.
func TestServerCloseFromOtherGoroutine(t *testing.T) {
	t.Parallel()
	srv := srvNew(t, "", wsserver.NonSecureMode)
	srvListen(t, srv)
	onLoop := true
	closed := signaltest.NewSpy0(&srv.Closed)
	srv.Closed.Connect(srv, func() { onLoop = onLoop && srv.Loop().IsCurrent() })
	done := srvGo(func() bool { srv.Close(); return true })
	srvAwait(t, done, srvWait, "Close")
	if srv.IsListening() {
		t.Error("still listening after Close")
	}
	waitCount(t, closed.Count, 1, "Closed")
	if !onLoop {
		t.Error("Closed's slot ran off the server's loop")
	}
}

// TestServerMaxPendingConnections is tst_maxPendingConnections with a raw
// view of the rejected connections: no HTTP response, one ServerError for
// two rejections in a row.
func TestServerMaxPendingConnections(t *testing.T) {
	t.Parallel()
	srv := srvNew(t, "", wsserver.NonSecureMode)
	sp := spyServer(srv)
	origin := signaltest.NewSpy(&srv.OriginAuthenticationRequired)
	srv.SetMaxPendingConnections(1)
	srvListen(t, srv)

	c1 := srvClient(t, srv.ServerUrl().String())
	waitCount(t, sp.newConn.Count, 1, "NewConnection")

	for i := range 2 {
		raw := srvDial(t, srvAddr(srv))
		raw.send(t, srvRequest("/"))
		end := raw.readToEnd(time.Now())
		if len(end.data) != 0 || !end.closedByPeer() {
			t.Fatalf("rejected connection %d: read %q, %v; want no response and a close", i, end.data, end.err)
		}
		signaltest.Wait(20 * time.Millisecond)
		checkError(t, srv, wsserver.CloseCodeAbnormalDisconnection, "Too many pending connections.")
		waitCount(t, sp.errs.Count, 1, "ServerError")
	}
	if c := sp.errs.At(0); c != wsserver.CloseCodeAbnormalDisconnection {
		t.Errorf("ServerError(%v); want CloseCodeAbnormalDisconnection", c)
	}

	// A WebSocket client over the limit never connects.
	c3 := wsserver.NewWebSocket("", wsserver.VersionLatest, nil)
	t.Cleanup(c3.Delete)
	connected := signaltest.NewSpy0(&c3.Connected)
	disconnected := signaltest.NewSpy0(&c3.Disconnected)
	c3.Open(srv.ServerUrl().String())
	if !disconnected.Wait(srvWait) {
		t.Fatal("third client: no Disconnected")
	}
	if connected.Count() != 0 || c3.State() != wsserver.UnconnectedState {
		t.Errorf("third client: Connected %d, state %v; want 0, UnconnectedState", connected.Count(), c3.State())
	}
	if n := sp.newConn.Count(); n != 1 {
		t.Errorf("NewConnection emitted %d times; want 1", n)
	}
	if n := origin.Count(); n != 1 {
		t.Errorf("OriginAuthenticationRequired emitted %d times; want 1 (not for rejected connections)", n)
	}

	if !srv.HasPendingConnections() {
		t.Fatal("HasPendingConnections() = false")
	}
	ws := srv.NextPendingConnection()
	if ws == nil {
		t.Fatal("NextPendingConnection() = nil")
	}
	t.Cleanup(ws.Delete)
	if srv.HasPendingConnections() || srv.NextPendingConnection() != nil {
		t.Error("a second pending connection")
	}
	if ws.State() != wsserver.ConnectedState || c1.State() != wsserver.ConnectedState {
		t.Errorf("states %v, %v; want connected", ws.State(), c1.State())
	}

	// With the queue empty again, a new client is accepted.
	srvClient(t, srv.ServerUrl().String())
	waitCount(t, sp.newConn.Count, 2, "NewConnection")
	if n := sp.errs.Count(); n != 1 {
		t.Errorf("ServerError emitted %d times; want 1", n)
	}
	if n := sp.accept.Count(); n != 0 {
		t.Errorf("AcceptError emitted %d times", n)
	}
}

// NextPendingConnection hands the connections out in arrival order.
func TestServerNextPendingConnectionFIFO(t *testing.T) {
	t.Parallel()
	srv := srvNew(t, "", wsserver.NonSecureMode)
	sp := spyServer(srv)
	srvListen(t, srv)
	for i := range 3 {
		raw := srvDial(t, srvAddr(srv))
		raw.upgrade(t, fmt.Sprintf("/%d", i))
		waitCount(t, sp.newConn.Count, i+1, "NewConnection")
	}
	for i := range 3 {
		if !srv.HasPendingConnections() {
			t.Fatalf("HasPendingConnections() = false before connection %d", i)
		}
		ws := srv.NextPendingConnection()
		if ws == nil {
			t.Fatalf("NextPendingConnection() = nil for connection %d", i)
		}
		t.Cleanup(ws.Delete)
		if p := ws.RequestUrl().Path; p != fmt.Sprintf("/%d", i) {
			t.Errorf("connection %d has path %q", i, p)
		}
		if ws.Parent() != nil {
			t.Errorf("connection %d has a parent; the caller owns it", i)
		}
	}
	if srv.HasPendingConnections() || srv.NextPendingConnection() != nil {
		t.Error("a fourth pending connection")
	}
}

// TestServerNewConnection checks the socket NextPendingConnection returns
// (§1.6 step 10): connected, with no Connected or StateChanged of its own.
func TestServerNewConnection(t *testing.T) {
	t.Parallel()
	srv := srvNew(t, "", wsserver.NonSecureMode)
	sp := spyServer(srv)
	srv.SetSupportedSubprotocols([]string{"chat"})
	srvListen(t, srv)
	port := srv.ServerPort()

	var taken *wsserver.WebSocket
	var stateSpy *signaltest.Spy[wsserver.SocketState]
	var connSpy *signaltest.Spy0
	srv.NewConnection.Connect(srv, func() {
		taken = srv.NextPendingConnection()
		stateSpy = signaltest.NewSpy(&taken.StateChanged)
		connSpy = signaltest.NewSpy0(&taken.Connected)
	})

	c := wsserver.NewWebSocket("http://origin.example", wsserver.VersionLatest, nil)
	t.Cleanup(c.Delete)
	connected := signaltest.NewSpy0(&c.Connected)
	var opts wsserver.WebSocketHandshakeOptions
	opts.SetSubprotocols([]string{"foo", "chat"})
	c.Open(fmt.Sprintf("ws://127.0.0.1:%d/chat?room=1", port), opts)
	if !connected.Wait(srvWait) {
		t.Fatalf("not connected: %s", c.ErrorString())
	}
	waitCount(t, sp.newConn.Count, 1, "NewConnection")
	if taken == nil {
		t.Fatal("NextPendingConnection() = nil inside NewConnection")
	}
	t.Cleanup(taken.Delete)
	signaltest.Wait(50 * time.Millisecond)

	if s := taken.State(); s != wsserver.ConnectedState || !taken.IsValid() {
		t.Errorf("State() = %v; want ConnectedState", s)
	}
	if stateSpy.Count() != 0 || connSpy.Count() != 0 {
		t.Errorf("server-side socket emitted StateChanged %d, Connected %d times; want none", stateSpy.Count(), connSpy.Count())
	}
	wantURL := fmt.Sprintf("ws://127.0.0.1:%d/chat?room=1", port)
	if u := taken.RequestUrl(); u == nil || u.String() != wantURL {
		t.Errorf("RequestUrl() = %v; want %s", u, wantURL)
	}
	if r := taken.ResourceName(); r != wantURL {
		t.Errorf("ResourceName() = %q; want the full URL %q (Qt's server-side quirk)", r, wantURL)
	}
	if o := taken.Origin(); o != "http://origin.example" {
		t.Errorf("Origin() = %q", o)
	}
	if v := taken.Version(); v != wsserver.Version13 {
		t.Errorf("Version() = %v", v)
	}
	if p := taken.Subprotocol(); p != "chat" {
		t.Errorf("Subprotocol() = %q; want chat", p)
	}
	if p := taken.HandshakeOptions().Subprotocols(); !slices.Equal(p, []string{"foo", "chat"}) {
		t.Errorf("HandshakeOptions().Subprotocols() = %q; want the client's [foo chat]", p)
	}
	if r := taken.Request(); r == nil || r.Header.Get("Origin") != "http://origin.example" {
		t.Errorf("Request() does not carry the request headers: %v", r)
	}
	if a := taken.PeerAddress(); !a.Equal(wsserver.LocalHost) {
		t.Errorf("PeerAddress() = %q", a)
	}
	if p := taken.LocalPort(); p != port {
		t.Errorf("LocalPort() = %d; want %d", p, port)
	}
	if p := taken.PeerPort(); p == 0 || p != c.LocalPort() {
		t.Errorf("PeerPort() = %d; want the client's port %d", p, c.LocalPort())
	}

	// It carries messages both ways.
	got := signaltest.NewSpy(&taken.TextMessageReceived)
	c.SendTextMessage("ping")
	if !got.Wait(srvWait) || got.At(0) != "ping" {
		t.Fatal("the server-side socket did not receive the message")
	}
	back := signaltest.NewSpy(&c.TextMessageReceived)
	taken.SendTextMessage("pong")
	if !back.Wait(srvWait) || back.At(0) != "pong" {
		t.Fatal("the client did not receive the server's message")
	}
	if n := sp.newConn.Count(); n != 1 {
		t.Errorf("NewConnection emitted %d times; want 1", n)
	}
}

// Messages a client sends right behind its request, in the same TCP write,
// reach the socket once it is taken (Qt loses them; see §1.6 step 10).
func TestServerMessagesRightAfterHandshake(t *testing.T) {
	t.Parallel()
	srv := srvNew(t, "", wsserver.NonSecureMode)
	sp := spyServer(srv)
	srvListen(t, srv)
	raw := srvDial(t, srvAddr(srv))
	burst := []byte(srvRequest("/"))
	burst = append(burst, maskedFrame(0x1, []byte("early bird"))...)
	burst = append(burst, maskedFrame(0x2, []byte{1, 2, 3})...)
	if _, err := raw.Write(burst); err != nil {
		t.Fatal(err)
	}
	raw.mustResponse(t, http.StatusSwitchingProtocols)
	waitCount(t, sp.newConn.Count, 1, "NewConnection")
	signaltest.Wait(100 * time.Millisecond) // the socket is not taken yet

	ws := srv.NextPendingConnection()
	if ws == nil {
		t.Fatal("NextPendingConnection() = nil")
	}
	t.Cleanup(ws.Delete)
	var order []string
	ws.TextMessageReceived.Connect(ws, func(m string) { order = append(order, "text:"+m) })
	ws.BinaryMessageReceived.Connect(ws, func(b []byte) { order = append(order, fmt.Sprintf("binary:%v", b)) })
	if !signaltest.WaitFor(func() bool { return len(order) >= 2 }, srvWait) {
		t.Fatalf("received %q; want both early messages", order)
	}
	if want := []string{"text:early bird", "binary:[1 2 3]"}; !slices.Equal(order, want) {
		t.Errorf("received %q; want %q", order, want)
	}
	// And a later one.
	if _, err := raw.Write(maskedFrame(0x1, []byte("later"))); err != nil {
		t.Fatal(err)
	}
	if !signaltest.WaitFor(func() bool { return len(order) >= 3 }, srvWait) || order[2] != "text:later" {
		t.Errorf("received %q; want a third message \"later\"", order)
	}
}

// The handshake timeout closes a connection that has not completed its
// handshake, with no response, no signal and no error (§1.6 step 2).
func TestServerHandshakeTimeout(t *testing.T) {
	t.Parallel()
	const timeout = 300 * time.Millisecond
	srv := srvNew(t, "", wsserver.NonSecureMode)
	sp := spyServer(srv)
	srv.SetHandshakeTimeout(timeout)
	if d := srv.HandshakeTimeout(); d != timeout {
		t.Fatalf("HandshakeTimeout() = %v", d)
	}
	srvListen(t, srv)
	srvEcho(t, srv)

	start := time.Now()
	silent := srvDial(t, srvAddr(srv))
	trickle := srvDial(t, srvAddr(srv))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	t.Cleanup(func() { close(stop); wg.Wait() })
	wg.Go(func() { // one byte every 30 ms: never a complete header in time
		req := srvRequest("/slow")
		for i := range len(req) - 2 {
			if _, err := trickle.Write([]byte{req[i]}); err != nil {
				return
			}
			select {
			case <-stop:
				return
			case <-time.After(30 * time.Millisecond):
			}
		}
	})
	silentEnd := srvGo(func() closeResult { return silent.readToEndRaw(start) })
	trickleEnd := srvGo(func() closeResult { return trickle.readToEndRaw(start) })

	// A client that completes its handshake is not affected by the timer.
	c := srvClient(t, srv.ServerUrl().String())

	for name, ch := range map[string]<-chan closeResult{"silent": silentEnd, "trickling": trickleEnd} {
		r := srvAwait(t, ch, srvWait, name+" client's close")
		if !r.closedByPeer() || len(r.data) != 0 {
			t.Errorf("%s client: read %q, %v; want a close with no response", name, r.data, r.err)
		}
		if r.elapsed < timeout-20*time.Millisecond || r.elapsed > 3*time.Second {
			t.Errorf("%s client closed after %v; want about %v", name, r.elapsed, timeout)
		}
	}
	signaltest.Wait(timeout) // past the timeout for c as well
	srvRoundTrip(t, c, "after the timeout")
	checkError(t, srv, wsserver.CloseCodeNormal, "")
	if sp.errs.Count() != 0 || sp.newConn.Count() != 1 || sp.accept.Count() != 0 {
		t.Errorf("ServerError %d, NewConnection %d, AcceptError %d; want 0, 1, 0",
			sp.errs.Count(), sp.newConn.Count(), sp.accept.Count())
	}
}

// A negative handshake timeout disables the timer.
func TestServerHandshakeTimeoutDisabled(t *testing.T) {
	t.Parallel()
	srv := srvNew(t, "", wsserver.NonSecureMode)
	sp := spyServer(srv)
	srv.SetHandshakeTimeout(-1)
	srvListen(t, srv)
	raw := srvDial(t, srvAddr(srv))
	_ = raw.SetReadDeadline(time.Now().Add(400 * time.Millisecond))
	if r := raw.readToEnd(time.Now()); r.closedByPeer() {
		t.Fatalf("the server closed an idle connection (%v) with the timeout disabled", r.err)
	}
	_ = raw.SetReadDeadline(time.Now().Add(srvWait))
	raw.upgrade(t, "/")
	waitCount(t, sp.newConn.Count, 1, "NewConnection")
}

// HandleConnection runs the handshake on a connection accepted elsewhere,
// without a handshake timeout (§1.4).
func TestServerHandleConnection(t *testing.T) {
	t.Parallel()
	srv := srvNew(t, "", wsserver.NonSecureMode)
	sp := spyServer(srv)
	srv.SetHandshakeTimeout(50 * time.Millisecond)
	srv.HandleConnection(nil) // ignored

	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	client := srvDial(t, ln.Addr().String())
	accepted, err := ln.Accept()
	ln.Close()
	if err != nil {
		t.Fatal(err)
	}
	srv.HandleConnection(accepted)
	if srv.IsListening() {
		t.Error("HandleConnection made the server listen")
	}
	signaltest.Wait(200 * time.Millisecond) // well past the handshake timeout
	client.upgrade(t, "/handled")
	waitCount(t, sp.newConn.Count, 1, "NewConnection")
	ws := srv.NextPendingConnection()
	if ws == nil {
		t.Fatal("NextPendingConnection() = nil")
	}
	t.Cleanup(ws.Delete)
	if a := ws.PeerAddress(); !a.Equal(wsserver.LocalHost) {
		t.Errorf("PeerAddress() = %q", a)
	}
	got := signaltest.NewSpy(&ws.TextMessageReceived)
	if _, err := client.Write(maskedFrame(0x1, []byte("hi"))); err != nil {
		t.Fatal(err)
	}
	if !got.Wait(srvWait) || got.At(0) != "hi" {
		t.Fatal("no message on the handled connection")
	}
	ws.SendTextMessage("back")
	f := srvAwait(t, srvGo(func() frame { f, _ := client.readDataFrame(); return f }), srvWait, "the server's message")
	if f.op != 0x1 || string(f.payload) != "back" {
		t.Errorf("client got op %#x %q; want text \"back\"", f.op, f.payload)
	}
}

// HandleConnection also works on an in-memory connection.
func TestServerHandleConnectionPipe(t *testing.T) {
	t.Parallel()
	srv := srvNew(t, "", wsserver.NonSecureMode)
	sp := spyServer(srv)
	srv.SetHandshakeTimeout(20 * time.Millisecond)
	clientEnd, serverEnd := net.Pipe()
	client := srvRawConn(t, clientEnd)
	srv.HandleConnection(serverEnd)
	signaltest.Wait(100 * time.Millisecond)
	client.upgrade(t, "/pipe")
	waitCount(t, sp.newConn.Count, 1, "NewConnection")
	ws := srv.NextPendingConnection()
	if ws == nil {
		t.Fatal("NextPendingConnection() = nil")
	}
	t.Cleanup(ws.Delete)
	got := signaltest.NewSpy(&ws.BinaryMessageReceived)
	wrote := srvGo(func() error { _, err := client.Write(maskedFrame(0x2, []byte{9, 8})); return err })
	if err := srvAwait(t, wrote, srvWait, "the client's write"); err != nil {
		t.Fatal(err)
	}
	waitCount(t, got.Count, 1, "BinaryMessageReceived") // it may have come during srvAwait
	if !slices.Equal(got.At(0), []byte{9, 8}) {
		t.Fatalf("message %v on the piped connection; want [9 8]", got.At(0))
	}
}

// TestServerOriginAuthentication: the slot runs on the server's loop with
// an authenticator that starts allowed; refusing answers 403 and sets
// 1008 "Access forbidden.".
func TestServerOriginAuthentication(t *testing.T) {
	t.Parallel()
	srv := srvNew(t, "Guard", wsserver.NonSecureMode)
	sp := spyServer(srv)
	srvListen(t, srv)
	var origins []string
	var startedAllowed []bool
	offLoop := 0
	srv.OriginAuthenticationRequired.Connect(srv, func(a *wsserver.WebSocketCorsAuthenticator) {
		if !srv.Loop().IsCurrent() {
			offLoop++
		}
		origins = append(origins, a.Origin())
		startedAllowed = append(startedAllowed, a.Allowed())
		if a.Origin() == "http://evil.example" {
			a.SetAllowed(false)
		}
	})

	refused := func() {
		t.Helper()
		raw := srvDial(t, srvAddr(srv))
		raw.send(t, srvRequest("/", "Origin: http://evil.example"))
		r := srvAwait(t, srvGo(func() closeResult { return raw.readToEndRaw(time.Now()) }), srvWait, "the 403")
		if !strings.HasPrefix(string(r.data), "HTTP/1.1 403") {
			t.Errorf("refused origin got %q; want an HTTP/1.1 403", r.data)
		}
		if !r.closedByPeer() {
			t.Errorf("the server did not close the connection after its 403 (%v)", r.err)
		}
	}
	refused()
	waitCount(t, sp.errs.Count, 1, "ServerError")
	if c := sp.errs.At(0); c != wsserver.CloseCodePolicyViolated {
		t.Errorf("ServerError(%v); want CloseCodePolicyViolated", c)
	}
	checkError(t, srv, wsserver.CloseCodePolicyViolated, "Access forbidden.")

	good := srvDial(t, srvAddr(srv))
	good.send(t, srvRequest("/", "Origin: http://good.example"))
	resp := srvAwait(t, srvGo(func() *http.Response { r, _ := good.response(); return r }), srvWait, "the 101")
	if resp == nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("allowed origin got %v; want 101", resp)
	}
	if o := resp.Header.Get("Access-Control-Allow-Origin"); o != "http://good.example" {
		t.Errorf("Access-Control-Allow-Origin = %q", o)
	}
	waitCount(t, sp.newConn.Count, 1, "NewConnection")

	refused() // the same error again: no second ServerError
	signaltest.Wait(20 * time.Millisecond)
	if n := sp.errs.Count(); n != 1 {
		t.Errorf("ServerError emitted %d times; want 1", n)
	}

	// A WebSocket client with a refused origin is refused.
	c := wsserver.NewWebSocket("http://evil.example", wsserver.VersionLatest, nil)
	t.Cleanup(c.Delete)
	connected := signaltest.NewSpy0(&c.Connected)
	failed := signaltest.NewSpy(&c.ErrorOccurred)
	c.Open(srv.ServerUrl().String())
	if !failed.Wait(srvWait) {
		t.Fatal("refused client: no ErrorOccurred")
	}
	if e := failed.At(0); e != wsserver.ConnectionRefusedError || connected.Count() != 0 {
		t.Errorf("refused client: ErrorOccurred(%v), Connected %d; want ConnectionRefusedError, 0", e, connected.Count())
	}

	want := []string{"http://evil.example", "http://good.example", "http://evil.example", "http://evil.example"}
	if !slices.Equal(origins, want) {
		t.Errorf("the slot saw origins %q; want %q", origins, want)
	}
	if slices.Contains(startedAllowed, false) {
		t.Errorf("authenticators started with Allowed() %v; want all true", startedAllowed)
	}
	if offLoop != 0 {
		t.Errorf("the slot ran %d times off the server's loop", offLoop)
	}
	if n := sp.newConn.Count(); n != 1 {
		t.Errorf("NewConnection emitted %d times; want 1", n)
	}
}

// With no slot on OriginAuthenticationRequired every origin passes.
func TestServerOriginWithoutSlot(t *testing.T) {
	t.Parallel()
	srv := srvNew(t, "", wsserver.NonSecureMode)
	srvListen(t, srv)
	raw := srvDial(t, srvAddr(srv))
	resp := raw.upgrade(t, "/", "Origin: http://anything.example")
	if o := resp.Header.Get("Access-Control-Allow-Origin"); o != "http://anything.example" {
		t.Errorf("Access-Control-Allow-Origin = %q", o)
	}
	checkError(t, srv, wsserver.CloseCodeNormal, "")
}

// PauseAccepting leaves new connections in the backlog; existing sockets
// keep working; ResumeAccepting answers them.
func TestServerPauseAccepting(t *testing.T) {
	t.Parallel()
	srv := srvNew(t, "", wsserver.NonSecureMode)
	sp := spyServer(srv)
	srvListen(t, srv)
	srvEcho(t, srv)
	c := srvClient(t, srv.ServerUrl().String())
	waitCount(t, sp.newConn.Count, 1, "NewConnection")

	srv.PauseAccepting()
	raw := srvDial(t, srvAddr(srv)) // the kernel completes the TCP handshake
	raw.send(t, srvRequest("/paused"))
	got := srvGo(func() *http.Response { r, _ := raw.response(); return r })
	signaltest.Wait(300 * time.Millisecond)
	select {
	case r := <-got:
		t.Fatalf("a connection made while paused was answered: %v", r)
	default:
	}
	srvRoundTrip(t, c, "paused, still echoing")
	if n := sp.newConn.Count(); n != 1 {
		t.Fatalf("NewConnection emitted %d times while paused", n)
	}

	srv.ResumeAccepting()
	resp := srvAwait(t, got, srvWait, "the answer after ResumeAccepting")
	if resp == nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("after ResumeAccepting: %v; want 101", resp)
	}
	waitCount(t, sp.newConn.Count, 2, "NewConnection")
}

// srvKeptFiles keeps alive the *os.File of descriptors handed to
// SetSocketDescriptor: the server owns them (as Qt's does), so their
// *os.File must never close them, not even from a finalizer.
var srvKeptFiles struct {
	sync.Mutex
	files []*os.File
}

// SetSocketDescriptor serves on a socket that is already listening; the
// server takes the descriptor over, as QTcpServer does.
func TestServerSetSocketDescriptor(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	f, err := ln.(*net.TCPListener).File()
	ln.Close()
	if err != nil {
		t.Skipf("no descriptor: %v", err)
	}
	srvKeptFiles.Lock()
	srvKeptFiles.files = append(srvKeptFiles.files, f)
	srvKeptFiles.Unlock()
	fd := int(f.Fd())

	srv := srvNew(t, "", wsserver.NonSecureMode)
	sp := spyServer(srv)
	if !srv.SetSocketDescriptor(fd) {
		t.Fatal("SetSocketDescriptor on a listening socket = false")
	}
	if !srv.IsListening() || srv.ServerPort() != port {
		t.Fatalf("listening %v on port %d; want true, %d", srv.IsListening(), srv.ServerPort(), port)
	}
	if got := srv.SocketDescriptor(); got != fd {
		t.Errorf("SocketDescriptor() = %d; want %d", got, fd)
	}
	if a := srv.ServerAddress(); !a.Equal(wsserver.LocalHost) {
		t.Errorf("ServerAddress() = %q; want the socket's 127.0.0.1", a)
	}
	if u := srv.ServerUrl(); u == nil || u.String() != fmt.Sprintf("ws://127.0.0.1:%d", port) {
		t.Errorf("ServerUrl() = %v; want ws://127.0.0.1:%d", u, port)
	}
	if srv.SetSocketDescriptor(fd) {
		t.Error("SetSocketDescriptor while listening = true")
	}
	srvEcho(t, srv)
	c := srvClient(t, fmt.Sprintf("ws://127.0.0.1:%d", port))
	srvRoundTrip(t, c, "through an inherited socket")

	srv.Close()
	checkNotListening(t, srv)
	if conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port))), time.Second); err == nil {
		conn.Close()
		t.Error("the inherited socket still accepts connections after Close")
	}
	waitCount(t, sp.closed.Count, 1, "Closed")
}

// A proxy other than DefaultProxy and NoProxy makes Listen fail.
func TestServerSetProxy(t *testing.T) {
	t.Parallel()
	srv := srvNew(t, "", wsserver.NonSecureMode)
	sp := spyServer(srv)
	srv.SetProxy(wsserver.NetworkProxy{Type: wsserver.HttpProxy})
	if p := srv.Proxy(); p.Type != wsserver.HttpProxy {
		t.Errorf("Proxy() = %v", p)
	}
	if srv.Listen(wsserver.LocalHost, 0) {
		t.Fatal("Listen through an HTTP proxy = true")
	}
	checkError(t, srv, wsserver.CloseCodeAbnormalDisconnection, "Operation on socket is not supported")
	checkNotListening(t, srv)
	waitCount(t, sp.errs.Count, 1, "ServerError")

	srv.SetProxy(wsserver.NetworkProxy{Type: wsserver.NoProxy})
	srvListen(t, srv)
}

// ServeHTTP mounts the server on an http.ServeMux next to other pages.
func TestServerServeHTTPMux(t *testing.T) {
	t.Parallel()
	srv := srvNew(t, "Mounted", wsserver.NonSecureMode)
	sp := spyServer(srv)
	srvEcho(t, srv)
	var paths []string
	srv.NewConnection.Connect(srv, func() {}) // a second slot: nothing left to take
	mux := http.NewServeMux()
	mux.Handle("/ws", srv)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path) // handler goroutine; read after the response
		io.WriteString(w, "<html>chat</html>")
	})
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)

	page := srvAwait(t, srvGo(func() string {
		resp, err := http.Get(hs.URL + "/index.html")
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}), srvWait, "the page")
	if page != "<html>chat</html>" {
		t.Errorf("page = %q", page)
	}

	u := "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws"
	c := srvClient(t, u)
	waitCount(t, sp.newConn.Count, 1, "NewConnection")
	srvRoundTrip(t, c, "through the mux")
	if srv.IsListening() {
		t.Error("IsListening() = true for a mounted server")
	}
}

// SetPerMessageDeflate negotiates permessage-deflate with a client that
// offers it (a Go extra).
func TestServerPerMessageDeflate(t *testing.T) {
	t.Parallel()
	for _, on := range []bool{true, false} {
		srv := srvNew(t, "", wsserver.NonSecureMode)
		srv.SetPerMessageDeflate(on)
		srvListen(t, srv)
		srvEcho(t, srv)
		type result struct {
			ext  string
			echo string
			err  error
		}
		res := srvAwait(t, srvGo(func() result {
			ctx, cancel := context.WithTimeout(context.Background(), srvWait)
			defer cancel()
			c, resp, err := websocket.Dial(ctx, srv.ServerUrl().String(), &websocket.DialOptions{
				CompressionMode: websocket.CompressionContextTakeover,
			})
			if err != nil {
				return result{err: err}
			}
			defer c.CloseNow()
			msg := strings.Repeat("compressible ", 100)
			if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
				return result{err: err}
			}
			_, b, err := c.Read(ctx)
			if err == nil && string(b) != msg {
				err = fmt.Errorf("echo differs: %q", b)
			}
			_ = c.Close(websocket.StatusNormalClosure, "")
			return result{ext: resp.Header.Get("Sec-WebSocket-Extensions"), echo: string(b), err: err}
		}), 2*srvWait, "the deflate client")
		if res.err != nil {
			t.Fatalf("deflate %v: %v", on, res.err)
		}
		if got := strings.Contains(res.ext, "permessage-deflate"); got != on {
			t.Errorf("deflate %v: Sec-WebSocket-Extensions = %q", on, res.ext)
		}
	}
}

// TestServerDelete: deleting the server stops listening, closes the
// pending sockets, ends the handshakes waiting for the origin slot, and
// emits no Closed (~QWebSocketServer).
func TestServerDelete(t *testing.T) {
	t.Parallel()
	srv := wsserver.NewWebSocketServer("", wsserver.NonSecureMode, nil)
	t.Cleanup(srv.Delete) // in case of an early failure; deleting twice does nothing
	sp := spyServer(srv)
	srvListen(t, srv)
	addr := srvAddr(srv)

	// A handed-out socket, a pending one, and a handshake waiting for the
	// origin slot (the loop does not run while it waits).
	a := srvClient(t, srv.ServerUrl().String())
	waitCount(t, sp.newConn.Count, 1, "NewConnection")
	taken := srv.NextPendingConnection()
	t.Cleanup(taken.Delete)
	taken.TextMessageReceived.Connect(taken, func(m string) { taken.SendTextMessage(m) })
	pending := srvDial(t, addr)
	pending.upgrade(t, "/pending")
	waitCount(t, sp.newConn.Count, 2, "NewConnection")

	slotRan := 0
	srv.OriginAuthenticationRequired.Connect(srv, func(*wsserver.WebSocketCorsAuthenticator) { slotRan++ })
	waiting := srvDial(t, addr)
	waiting.send(t, srvRequest("/waiting"))
	time.Sleep(100 * time.Millisecond) // not running the loop: the handshake waits for the slot

	srv.Delete()
	if !srv.IsDeleted() {
		t.Fatal("not deleted")
	}
	if srv.IsListening() {
		t.Error("IsListening() = true after Delete")
	}
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Error("the port still accepts connections after Delete")
	}

	// The waiting handshake ends (without an upgrade).
	w := srvAwait(t, srvGo(func() closeResult { return waiting.readToEndRaw(time.Now()) }), srvWait, "the waiting handshake's end")
	if strings.HasPrefix(string(w.data), "HTTP/1.1 101") || !w.closedByPeer() {
		t.Errorf("waiting handshake: read %q, %v; want no upgrade and a close", w.data, w.err)
	}
	// The pending socket's peer gets 1001 "Server closed.", or at least the
	// end of the connection.
	p := srvAwait(t, srvGo(func() error {
		f, err := pending.readDataFrame()
		if err != nil {
			return err
		}
		if code, reason := f.closeCode(); f.op != 0x8 || code != wsserver.CloseCodeGoingAway || reason != "Server closed." {
			return fmt.Errorf("frame op %#x %v %q", f.op, code, reason)
		}
		return nil
	}), srvWait, "the pending socket's close")
	if p != nil {
		t.Errorf("pending socket's peer: %v; want close 1001 \"Server closed.\"", p)
	}
	if slotRan != 0 {
		t.Errorf("the origin slot ran %d times after Delete", slotRan)
	}
	signaltest.Wait(20 * time.Millisecond)
	if n := sp.closed.Count(); n != 0 {
		t.Errorf("Closed emitted %d times by Delete; Qt's destructor emits none", n)
	}
	// Handed-out sockets are not the server's any more (a deviation: Qt's
	// are aborted with the server's TCP sockets).
	srvRoundTrip(t, a, "after the server is gone")
}

// A handshake whose request has come while the loop is busy (its answer
// waits for the loop, as in Qt) is closed without an answer when the
// server is deleted, rather than leaked.
func TestServerDeleteDuringUpgrade(t *testing.T) {
	t.Parallel()
	srv := wsserver.NewWebSocketServer("", wsserver.NonSecureMode, nil)
	t.Cleanup(srv.Delete)
	sp := spyServer(srv)
	srvListen(t, srv)
	raw := srvDial(t, srvAddr(srv))
	raw.send(t, srvRequest("/"))
	time.Sleep(50 * time.Millisecond) // the loop does not run: the request waits for it
	srv.Delete()
	r := srvAwait(t, srvGo(func() closeResult { return raw.readToEndRaw(time.Now()) }), srvWait, "the connection's end")
	if !r.closedByPeer() || len(r.data) != 0 {
		t.Errorf("the waiting connection after Delete: read %q, %v; want it closed without an answer", r.data, r.err)
	}
	if n := sp.newConn.Count(); n != 0 {
		t.Errorf("NewConnection emitted %d times after Delete", n)
	}
}

// SetHTTPHandler (a Go extra) serves pages on the server's own port; an
// upgrade request still gets the handshake.
func TestServerSetHTTPHandler(t *testing.T) {
	t.Parallel()
	srv := srvNew(t, "", wsserver.NonSecureMode)
	sp := spyServer(srv)
	srv.SetHTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "page "+r.URL.Path)
	}))
	srvListen(t, srv)
	srvEcho(t, srv)
	get := func() (int, string) {
		type res struct {
			code int
			body string
		}
		r := srvAwait(t, srvGo(func() res {
			cl := &http.Client{Timeout: srvWait}
			defer cl.CloseIdleConnections()
			resp, err := cl.Get("http://" + srvAddr(srv) + "/index.html")
			if err != nil {
				return res{-1, err.Error()}
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return res{resp.StatusCode, string(b)}
		}), 2*srvWait, "the page")
		return r.code, r.body
	}
	if code, body := get(); code != http.StatusOK || body != "page /index.html" {
		t.Errorf("GET /index.html = %d %q", code, body)
	}
	c := srvClient(t, srv.ServerUrl().String()+"/ws")
	srvRoundTrip(t, c, "next to a page")

	srv.SetHTTPHandler(nil) // every request is a handshake again
	if code, _ := get(); code != -1 {
		t.Errorf("GET without a page handler = %d; want the connection closed without an answer (an invalid handshake)", code)
	}
	signaltest.Wait(20 * time.Millisecond)
	if sp.errs.Count() != 0 || sp.newConn.Count() != 1 {
		t.Errorf("ServerError %d, NewConnection %d; want 0, 1", sp.errs.Count(), sp.newConn.Count())
	}
}

// A client that leaves while its handshake waits for the origin slot is
// not an error: Qt never reports it (and never refuses its origin).
func TestServerClientLeavesDuringOriginCheck(t *testing.T) {
	t.Parallel()
	srv := srvNew(t, "", wsserver.NonSecureMode)
	sp := spyServer(srv)
	srvListen(t, srv)
	srv.OriginAuthenticationRequired.Connect(srv, func(*wsserver.WebSocketCorsAuthenticator) {})
	raw := srvDial(t, srvAddr(srv))
	raw.send(t, srvRequest("/", "Origin: http://leaving.example"))
	time.Sleep(100 * time.Millisecond) // the loop does not run: the handshake waits
	raw.Close()
	// Qt decides the origin inside the handshake, so the socket is queued
	// all the same; it reports the client's departure once it reads.
	waitCount(t, sp.newConn.Count, 1, "NewConnection")
	ws := srv.NextPendingConnection()
	t.Cleanup(ws.Delete)
	gone := signaltest.NewSpy0(&ws.Disconnected)
	if !gone.Wait(srvWait) {
		t.Fatalf("the socket of a client that left did not disconnect (state %v)", ws.State())
	}
	if ws.Error() != wsserver.RemoteHostClosedError {
		t.Errorf("Error = %v; want RemoteHostClosedError", ws.Error())
	}
	checkError(t, srv, wsserver.CloseCodeNormal, "")
}
