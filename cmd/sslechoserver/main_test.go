package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/qtgo/qtgo/internal/cmdtest"
	"github.com/qtgo/qtgo/internal/testcert"
	"github.com/qtgo/qtgo/signals"
	"github.com/qtgo/qtgo/signals/signaltest"
	"github.com/qtgo/qtgo/wsserver"
)

// runMainEnv makes the test binary run main instead of the tests, so that a
// test can send a real SIGINT to a real sslechoserver process.
const runMainEnv = "QTGO_SSLECHOSERVER_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		return
	}
	goleak.VerifyTestMain(m)
}

// instance is one run of the program on its own goroutine.
type instance struct {
	server *SslEchoServer
	out    *cmdtest.Buffer
	quit   chan struct{}
	done   chan int
	port   int
}

// start runs the program with args on a new goroutine, as main would.
func start(t *testing.T, args ...string) *instance {
	t.Helper()
	in := &instance{out: &cmdtest.Buffer{}, quit: make(chan struct{}), done: make(chan int, 1)}
	ready := make(chan *SslEchoServer, 1)
	go func() { in.done <- run(args, in.out, ready, in.quit) }()
	select {
	case in.server = <-ready:
	case code := <-in.done:
		t.Fatalf("run(%q) = %d before the server listened; output:\n%s", args, code, in.out)
	case <-time.After(5 * time.Second):
		t.Fatal("the server did not listen within 5 s")
	}
	in.port = int(in.server.Server().ServerPort())
	t.Cleanup(func() { in.stop(t) })
	return in
}

// stop does what SIGINT does and waits for run to return 0.
func (in *instance) stop(t *testing.T) {
	t.Helper()
	select {
	case <-in.quit:
	default:
		close(in.quit)
	}
	if in.done == nil {
		return
	}
	select {
	case code := <-in.done:
		in.done = nil
		if code != 0 {
			t.Errorf("run returned %d; want 0", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return within 5 s")
	}
}

func (in *instance) addr() string { return "127.0.0.1:" + strconv.Itoa(in.port) }
func (in *instance) url() string  { return "wss://" + in.addr() }

// onLoop runs fn on the server's loop and waits for it.
func onLoop(server *SslEchoServer, fn func()) {
	signals.InvokeMethod(server, fn, signals.BlockingQueuedConnection)
}

func clientCount(server *SslEchoServer) int {
	n := -1
	onLoop(server, func() { n = len(server.clients) })
	return n
}

// trusting is what sslechoclient's SslEchoClient configures: the embedded
// certificate as a CA.
func trusting() *tls.Config { return &tls.Config{RootCAs: testcert.CertPool()} }

// qtClient is the port's own QWebSocket, on the test's loop, with conf.
func qtClient(t *testing.T, origin string, conf *tls.Config) *wsserver.WebSocket {
	t.Helper()
	c := wsserver.NewWebSocket(origin, wsserver.VersionLatest, nil)
	t.Cleanup(c.Delete)
	c.SetSslConfiguration(conf)
	return c
}

// openWait opens url and runs the test's loop until c has connected or
// disconnected; it reports whether it connected.
func openWait(t *testing.T, c *wsserver.WebSocket, url string) bool {
	t.Helper()
	connected := signaltest.NewSpy0(&c.Connected)
	disconnected := signaltest.NewSpy0(&c.Disconnected)
	c.Open(url)
	if !signaltest.WaitFor(func() bool { return connected.Count()+disconnected.Count() > 0 }, 5*time.Second) {
		t.Fatalf("Open(%s): neither connected nor disconnected within 5 s", url)
	}
	return connected.Count() > 0
}

// dial connects a coder/websocket client (a non-Qt peer) with conf.
func dial(t *testing.T, url string, conf *tls.Config) (*websocket.Conn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tr := &http.Transport{TLSClientConfig: conf}
	defer tr.CloseIdleConnections()
	c, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: &http.Client{Transport: tr}})
	if resp != nil && resp.Body != nil && err != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(4 << 20)
	t.Cleanup(func() { _ = c.CloseNow() })
	return c, nil
}

// roundTrip sends one message and returns the reply.
func roundTrip(t *testing.T, c *websocket.Conn, typ websocket.MessageType, msg []byte) (websocket.MessageType, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Write(ctx, typ, msg); err != nil {
		t.Fatalf("Write: %v", err)
	}
	gt, got, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return gt, got
}

func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want options
	}{
		{nil, options{port: 1234}}, // Qt's fixed port
		{[]string{"-p", "4321"}, options{port: 4321}},
		{[]string{"--port", "4321"}, options{port: 4321}},
		{[]string{"--port=443"}, options{port: 443}},
		{[]string{"-p", "0"}, options{port: 0}},
		{[]string{"-p", "65535"}, options{port: 65535}},
	} {
		var errs bytes.Buffer
		got, code, ok := parseArgs(tc.args, &errs)
		if !ok || code != 0 || got != tc.want {
			t.Errorf("parseArgs(%q) = %+v, %d, %v; want %+v, 0, true (stderr %q)", tc.args, got, code, ok, tc.want, errs.String())
		}
	}
}

func TestParseArgsErrors(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		code     int
		contains string
	}{
		{[]string{"-h"}, 0, "QtWebSockets example: sslechoserver"},
		{[]string{"--help"}, 0, "QtWebSockets example: sslechoserver"},
		{[]string{"-p", "65536"}, 1, "Port invalid, must be a number between 0 and 65535\n"},
		{[]string{"-p", "-1"}, 1, "invalid value"},
		{[]string{"-p", "x"}, 1, "invalid value"},
		{[]string{"-d"}, 1, "flag provided but not defined: -d"}, // no debug flag: Qt always prints
		{[]string{"--bogus"}, 1, "flag provided but not defined"},
	} {
		var errs bytes.Buffer
		_, code, ok := parseArgs(tc.args, &errs)
		if ok || code != tc.code || !strings.Contains(errs.String(), tc.contains) {
			t.Errorf("parseArgs(%q) = %d, %v with stderr %q; want %d, false, containing %q", tc.args, code, ok, errs.String(), tc.code, tc.contains)
		}
		// run exits the same way without starting anything.
		errs.Reset()
		if got := run(tc.args, &errs, nil, nil); got != tc.code {
			t.Errorf("run(%q) = %d; want %d", tc.args, got, tc.code)
		}
	}
}

func TestHelpListsFlags(t *testing.T) {
	var errs bytes.Buffer
	parseArgs([]string{"-h"}, &errs)
	for _, want := range []string{"Usage: sslechoserver [options]", "-p", "-port", "Port for sslechoserver", "(default 1234)"} {
		if !strings.Contains(errs.String(), want) {
			t.Errorf("help has no %q:\n%s", want, errs.String())
		}
	}
}

// TestListeningLine: Qt's line, with the real port for -p 0, and a server
// set up as Qt's: its name, SecureMode, the certificate, no client
// verification.
func TestListeningLine(t *testing.T) {
	in := start(t, "-p", "0")
	if in.port == 0 {
		t.Fatal("ServerPort() = 0 with -p 0")
	}
	want := fmt.Sprintf("SSL Echo Server listening on port %d\n", in.port)
	if got := in.out.String(); got != want {
		t.Fatalf("output = %q; want %q", got, want)
	}
	srv := in.server.Server()
	if srv.ServerName() != "SSL Echo Server" || srv.SecureMode() != wsserver.SecureMode {
		t.Errorf("server %q in %v; want \"SSL Echo Server\" in SecureMode", srv.ServerName(), srv.SecureMode())
	}
	if u := srv.ServerUrl(); u == nil || u.Scheme != "wss" {
		t.Errorf("ServerUrl() = %v; want wss", u)
	}
	if !srv.ServerAddress().Equal(wsserver.Any) {
		t.Errorf("ServerAddress() = %v; want Any", srv.ServerAddress())
	}
	conf := srv.SslConfiguration()
	if conf == nil || len(conf.Certificates) != 1 || conf.ClientAuth != tls.NoClientCert {
		t.Fatalf("SslConfiguration() = %+v; want one certificate and no client verification", conf)
	}
	if !bytes.Equal(conf.Certificates[0].Certificate[0], testcert.Certificate().Certificate[0]) {
		t.Error("the server's certificate is not the embedded one")
	}
}

// TestCannotListen: a port in use gets a message and exit code 1 (Qt
// prints nothing and runs a server that never listens).
func TestCannotListen(t *testing.T) {
	l, err := net.Listen("tcp", ":0") // every address, as Any
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	var out cmdtest.Buffer
	done := make(chan int, 1)
	go func() { done <- run([]string{"-p", port}, &out, nil, nil) }()
	select {
	case code := <-done:
		if code != 1 {
			t.Errorf("exit code %d; want 1", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return within 5 s")
	}
	if !strings.HasPrefix(out.String(), "SSL Echo Server cannot listen:") || strings.Contains(out.String(), "listening on port") {
		t.Errorf("output %q", out.String())
	}
}

// TestEchoQtClient uses the port's own QWebSocket, trusting the embedded
// certificate as sslechoclient does: text, binary and 1 MiB round trips,
// and Qt's connected/disconnected lines.
func TestEchoQtClient(t *testing.T) {
	in := start(t, "-p", "0")
	client := qtClient(t, "", trusting())
	sslErrs := signaltest.NewSpy(&client.SslErrors)
	text := signaltest.NewSpy(&client.TextMessageReceived)
	binary := signaltest.NewSpy(&client.BinaryMessageReceived)
	if !openWait(t, client, in.url()) {
		t.Fatalf("not connected: %s", client.ErrorString())
	}
	if sslErrs.Count() != 0 {
		t.Errorf("SslErrors: %v", sslErrs.At(0))
	}
	if u := client.RequestUrl(); u.Scheme != "wss" {
		t.Errorf("RequestUrl() = %v", u)
	}
	in.out.WaitFor(t, "Client connected: \"127.0.0.1\" \"\"\n")

	for i, msg := range []string{"Hello, world!", "", "héllo \"quoted\" ✓"} {
		client.SendTextMessage(msg)
		if !signaltest.WaitFor(func() bool { return text.Count() > i }, 5*time.Second) || text.At(i) != msg {
			t.Fatalf("text echo %d of %q: count %d", i, msg, text.Count())
		}
	}
	big := make([]byte, 1<<20) // 1 MiB
	if _, err := rand.Read(big); err != nil {
		t.Fatal(err)
	}
	for i, msg := range [][]byte{{0, 1, 2, 0xff}, big} {
		client.SendBinaryMessage(msg)
		if !signaltest.WaitFor(func() bool { return binary.Count() > i }, 10*time.Second) || !bytes.Equal(binary.At(i), msg) {
			t.Fatalf("binary echo %d of %d bytes: count %d", i, len(msg), binary.Count())
		}
	}
	// Text after binary keeps its type.
	client.SendTextMessage("after")
	if !signaltest.WaitFor(func() bool { return text.Count() == 4 }, 5*time.Second) || text.At(3) != "after" {
		t.Fatalf("text after binary: count %d", text.Count())
	}
	if binary.Count() != 2 {
		t.Errorf("%d binary messages; want 2", binary.Count())
	}

	disconnected := signaltest.NewSpy0(&client.Disconnected)
	client.Close(wsserver.CloseCodeNormal, "")
	if disconnected.Count() == 0 && !disconnected.Wait(5*time.Second) {
		t.Fatal("no Disconnected")
	}
	in.out.WaitFor(t, "Client disconnected\n")
	// Qt's server prints nothing per message.
	want := fmt.Sprintf("SSL Echo Server listening on port %d\nClient connected: \"127.0.0.1\" \"\"\nClient disconnected\n", in.port)
	if got := in.out.String(); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}

// TestEchoCoderClient: a non-Qt peer (coder/websocket over crypto/tls)
// trusting the certificate, by the name localhost (the DNS SAN).
func TestEchoCoderClient(t *testing.T) {
	in := start(t, "-p", "0")
	c, err := dial(t, "wss://localhost:"+strconv.Itoa(in.port), trusting())
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	if typ, got := roundTrip(t, c, websocket.MessageText, []byte("Hello, world!")); typ != websocket.MessageText || string(got) != "Hello, world!" {
		t.Errorf("text echo = %v %q", typ, got)
	}
	big := bytes.Repeat([]byte{0xa5, 0x5a}, 1<<19) // 1 MiB
	if typ, got := roundTrip(t, c, websocket.MessageBinary, big); typ != websocket.MessageBinary || !bytes.Equal(got, big) {
		t.Errorf("1 MiB echo = %v, %d bytes", typ, len(got))
	}
	if n := clientCount(in.server); n != 1 {
		t.Errorf("clients = %d; want 1", n)
	}
	_ = c.Close(websocket.StatusNormalClosure, "")
	in.out.WaitFor(t, "Client disconnected\n")
}

// TestClientConnectedLine prints the peer name and the origin, quoted as
// qDebug quotes a QString.
func TestClientConnectedLine(t *testing.T) {
	in := start(t, "-p", "0")
	client := qtClient(t, "https://example.test", trusting())
	if !openWait(t, client, in.url()) {
		t.Fatalf("not connected: %s", client.ErrorString())
	}
	in.out.WaitFor(t, "Client connected: \"127.0.0.1\" \"https://example.test\"\n")
}

// TestDisconnectRemovesClient: socketDisconnected prints Qt's line,
// removes the socket from the list and DeleteLater()s it.
func TestDisconnectRemovesClient(t *testing.T) {
	in := start(t, "-p", "0")
	// One at a time, so that a is clients[0]: the echo shows that
	// onNewConnection has run for it.
	a, err := dial(t, in.url(), trusting())
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, a, websocket.MessageText, []byte("a"))
	b, err := dial(t, in.url(), trusting())
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, b, websocket.MessageText, []byte("b"))
	if n := clientCount(in.server); n != 2 {
		t.Fatalf("clients = %d; want 2", n)
	}
	var sock *wsserver.WebSocket
	onLoop(in.server, func() { sock = in.server.clients[0] })
	destroyed := signaltest.NewSpy(&sock.Destroyed)
	_ = a.Close(websocket.StatusNormalClosure, "bye")
	in.out.WaitFor(t, "Client disconnected\n")
	if !signaltest.WaitFor(func() bool { return clientCount(in.server) == 1 }, 5*time.Second) {
		t.Fatalf("clients = %d after a disconnection; want 1", clientCount(in.server))
	}
	if !signaltest.WaitFor(func() bool { return destroyed.Count() == 1 }, 5*time.Second) {
		t.Fatal("the socket was not deleted")
	}
	// The other client still gets its echoes.
	if _, got := roundTrip(t, b, websocket.MessageText, []byte("still here")); string(got) != "still here" {
		t.Errorf("b got %q", got)
	}
}

// TestUntrustingClientRefused: a client that does not trust the
// self-signed certificate gets SslErrors and no connection; the server
// reports nothing (its sslErrors is about client certificates, which it
// does not ask for).
func TestUntrustingClientRefused(t *testing.T) {
	in := start(t, "-p", "0")
	client := qtClient(t, "", nil) // the system's roots only
	sslErrs := signaltest.NewSpy(&client.SslErrors)
	if openWait(t, client, in.url()) {
		t.Fatal("connected without trusting the certificate")
	}
	if sslErrs.Count() != 1 || len(sslErrs.At(0)) == 0 {
		t.Fatalf("SslErrors emitted %d times; want once with the errors", sslErrs.Count())
	}
	// The system's roots do not hold the self-signed certificate: Qt's
	// QSslError::SelfSignedCertificate, an unknown authority to crypto/x509.
	var unknown x509.UnknownAuthorityError
	if errs := sslErrs.At(0); len(errs) != 1 || errs[0].Code() != wsserver.SelfSignedCertificate || !errors.As(errs[0], &unknown) {
		t.Errorf("SslErrors %v; want [SelfSignedCertificate]", errs)
	}
	if client.Error() != wsserver.SslHandshakeFailedError {
		t.Errorf("Error() = %v; want SslHandshakeFailedError", client.Error())
	}
	if _, err := dial(t, in.url(), &tls.Config{RootCAs: x509.NewCertPool()}); err == nil {
		t.Error("a coder/websocket client trusting nothing connected")
	}
	signaltest.Wait(50 * time.Millisecond)
	want := fmt.Sprintf("SSL Echo Server listening on port %d\n", in.port)
	if got := in.out.String(); got != want {
		t.Errorf("output %q; want only %q", got, want)
	}
}

// TestPlainClientFails: a ws:// client cannot talk to the wss server (Qt
// drops it without a byte; net/http answers its request with a 400 first).
func TestPlainClientFails(t *testing.T) {
	in := start(t, "-p", "0")
	client := qtClient(t, "", nil)
	errs := signaltest.NewSpy(&client.ErrorOccurred)
	if openWait(t, client, "ws://"+in.addr()) {
		t.Fatal("a plain ws:// client connected to the wss server")
	}
	if !signaltest.WaitFor(func() bool { return errs.Count() > 0 }, 5*time.Second) {
		t.Error("no ErrorOccurred")
	}
	if _, err := dial(t, "ws://"+in.addr(), nil); err == nil {
		t.Error("a plain coder/websocket client connected to the wss server")
	}
	// Raw: a handshake request in clear text gets no 101.
	conn, err := net.DialTimeout("tcp", in.addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", in.addr())
	reply, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("reading the reply: %v (want the server to close)", err)
	}
	if bytes.Contains(reply, []byte(" 101 ")) {
		t.Errorf("a clear-text handshake was upgraded: %q", reply)
	}
	signaltest.Wait(50 * time.Millisecond)
	if n := clientCount(in.server); n != 0 {
		t.Errorf("clients = %d; want 0", n)
	}
	if got := in.out.String(); strings.Contains(got, "Client connected") {
		t.Errorf("output %q", got)
	}
}

// TestSslErrorsSlot: the slot connected to the server's SslErrors prints
// Qt's line. (Without client verification crypto/tls has nothing to
// report, as Qt's VerifyNone server never does; so the signal is emitted by
// hand here.)
func TestSslErrorsSlot(t *testing.T) {
	in := start(t, "-p", "0")
	onLoop(in.server, func() {
		in.server.Server().SslErrors.Emit([]wsserver.SslError{wsserver.NewSslError(wsserver.NoPeerCertificate)})
	})
	in.out.WaitFor(t, "Ssl errors occurred\n")
}

// TestServesEchoPage: the echo page over https on the same port.
func TestServesEchoPage(t *testing.T) {
	in := start(t, "-p", "0")
	tr := &http.Transport{TLSClientConfig: trusting()}
	defer tr.CloseIdleConnections()
	client := &http.Client{Timeout: 5 * time.Second, Transport: tr}
	base := "https://localhost:" + strconv.Itoa(in.port)
	resp, err := client.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{"<!DOCTYPE html>", `<meta charset="utf-8">`, ">Connect<", ">Disconnect<", ">State<", ">Send<", "<textarea",
		`"wss://localhost:1234"`, `location.protocol === "https:" ? "wss://"`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the page has no %q", want)
		}
	}
	resp, err = client.Get(base + "/nope")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nope = %d; want 404", resp.StatusCode)
	}
	// Plain http gets no page.
	plain := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}}
	defer plain.CloseIdleConnections()
	if resp, err := plain.Get("http://" + in.addr() + "/"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("GET http:// served the page")
		}
	}
	signaltest.Wait(20 * time.Millisecond)
	if got := in.out.String(); strings.Contains(got, "Client connected") {
		t.Errorf("a page request was reported as a client: %q", got)
	}
}

// TestQuitClosesServerAndClients: what SIGINT does closes every client
// with a close frame (1001 "Connection closed", what ~QWebSocket sends),
// waits for them to go, deletes the server (closing the listener), and run
// returns 0.
func TestQuitClosesServerAndClients(t *testing.T) {
	in := start(t, "-p", "0")
	var conns []*websocket.Conn
	for range 2 {
		c, err := dial(t, in.url(), trusting())
		if err != nil {
			t.Fatal(err)
		}
		roundTrip(t, c, websocket.MessageText, []byte("x"))
		conns = append(conns, c)
	}
	destroyed := signaltest.NewSpy(&in.server.Destroyed)
	reads := make(chan error, 2)
	for _, c := range conns {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, _, err := c.Read(ctx) // answers the close frame
			reads <- err
		}()
	}
	begin := time.Now()
	in.stop(t)
	if d := time.Since(begin); d > 1500*time.Millisecond {
		t.Errorf("shutdown took %v; the clients answered at once", d)
	}
	if destroyed.Count() != 1 {
		t.Error("the server was not deleted")
	}
	for range 2 {
		err := <-reads
		var ce websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.StatusGoingAway || ce.Reason != "Connection closed" {
			t.Errorf("client read after quit: %v; want close 1001 \"Connection closed\"", err)
		}
	}
	if n := strings.Count(in.out.String(), "Client disconnected\n"); n != 2 {
		t.Errorf("%d Client disconnected lines; want 2:\n%s", n, in.out)
	}
	d := net.Dialer{Timeout: time.Second}
	if conn, err := d.Dial("tcp", in.addr()); err == nil {
		conn.Close()
		t.Error("the port still accepts connections after quit")
	}
}

// TestQuitWithSilentClient: a client that never answers the close frame
// does not keep the program from exiting (2 s at most).
func TestQuitWithSilentClient(t *testing.T) {
	in := start(t, "-p", "0")
	c, err := dial(t, in.url(), trusting())
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c, websocket.MessageText, []byte("x")) // never reads again
	begin := time.Now()
	in.stop(t)
	if d := time.Since(begin); d > 4*time.Second {
		t.Errorf("shutdown took %v", d)
	}
}

// TestSIGINTExitsZero runs the real program in a child process and
// interrupts it as Ctrl-C does.
func TestSIGINTExitsZero(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-p", "0")
	// The race detector's default 1 s sleep at exit is not the program's.
	cmd.Env = append(os.Environ(), runMainEnv+"=1", "GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first := make(chan string, 1)
	var rest []string // written before done is sent
	done := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for n := 0; sc.Scan(); n++ {
			if n == 0 {
				first <- sc.Text()
				continue
			}
			rest = append(rest, sc.Text())
		}
		done <- cmd.Wait()
	}()
	exited := false
	defer func() {
		if !exited {
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	var port int
	select {
	case line := <-first:
		if _, err := fmt.Sscanf(line, "SSL Echo Server listening on port %d", &port); err != nil || port == 0 {
			t.Fatalf("first line %q; want SSL Echo Server listening on port N", line)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no listening line within 10 s")
	}
	c, err := dial(t, "wss://localhost:"+strconv.Itoa(port), trusting())
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c, websocket.MessageText, []byte("Hello, world!"))
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, _, err := c.Read(ctx); websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Errorf("client read after SIGINT: %v; want a close with 1001", err)
	}
	select {
	case err := <-done:
		exited = true
		if err != nil {
			t.Fatalf("sslechoserver exited with %v after SIGINT; want exit status 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sslechoserver did not exit within 10 s of SIGINT")
	}
	if len(rest) != 2 || !strings.HasPrefix(rest[0], "Client connected: ") || rest[1] != "Client disconnected" {
		t.Errorf("lines after the first = %q; want Client connected, Client disconnected", rest)
	}
}
