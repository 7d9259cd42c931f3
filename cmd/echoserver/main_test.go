package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
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
	"github.com/qtgo/qtgo/signals"
	"github.com/qtgo/qtgo/signals/signaltest"
	"github.com/qtgo/qtgo/wsserver"
)

// runMainEnv makes the test binary run main instead of the tests, so that a
// test can send a real SIGINT to a real echoserver process.
const runMainEnv = "QTGO_ECHOSERVER_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		return
	}
	goleak.VerifyTestMain(m)
}

// instance is one run of the program on its own goroutine.
type instance struct {
	server *EchoServer
	out    *cmdtest.Buffer
	quit   chan struct{}
	done   chan int
	port   int
}

// start runs the program with args on a new goroutine, as main would.
func start(t *testing.T, args ...string) *instance {
	t.Helper()
	in := &instance{out: &cmdtest.Buffer{}, quit: make(chan struct{}), done: make(chan int, 1)}
	ready := make(chan *EchoServer, 1)
	go func() { in.done <- run(args, in.out, ready, in.quit) }()
	select {
	case in.server = <-ready:
	case code := <-in.done:
		t.Fatalf("run(%q) = %d before the server was made; output:\n%s", args, code, in.out)
	case <-time.After(5 * time.Second):
		t.Fatal("the server was not made within 5 s")
	}
	in.port = int(in.server.Port())
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
	in.wait(t)
}

// wait waits up to 5 s for run to return and checks it returned 0.
func (in *instance) wait(t *testing.T) {
	t.Helper()
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

func (in *instance) url() string { return "ws://127.0.0.1:" + strconv.Itoa(in.port) }

// dial connects a coder/websocket client (a non-Qt peer) to the server.
func dial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatalf("Dial(%s): %v", url, err)
	}
	c.SetReadLimit(4 << 20)
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
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

// onLoop runs fn on the server's loop and waits for it.
func onLoop(server *EchoServer, fn func()) {
	signals.InvokeMethod(server, fn, signals.BlockingQueuedConnection)
}

func clientCount(server *EchoServer) int {
	n := -1
	onLoop(server, func() { n = len(server.clients) })
	return n
}

func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want options
	}{
		{nil, options{debug: false, port: 1234}}, // Qt's defaults
		{[]string{"-d"}, options{debug: true, port: 1234}},
		{[]string{"--debug"}, options{debug: true, port: 1234}},
		{[]string{"-p", "4321"}, options{port: 4321}},
		{[]string{"--port", "4321"}, options{port: 4321}},
		{[]string{"--port=80", "-d"}, options{debug: true, port: 80}},
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
		{[]string{"-h"}, 0, "QtWebSockets example: echoserver"},
		{[]string{"--help"}, 0, "QtWebSockets example: echoserver"},
		{[]string{"-p", "65536"}, 1, "Port invalid, must be a number between 0 and 65535\n"},
		{[]string{"-p", "x"}, 1, "invalid value"},
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
	for _, want := range []string{"Usage: echoserver [options]", "-d", "-debug", "-p", "-port", "Debug output", "default 1234"} {
		if !strings.Contains(errs.String(), want) {
			t.Errorf("help has no %q:\n%s", want, errs.String())
		}
	}
}

func TestListeningLinePrintsRealPort(t *testing.T) {
	in := start(t, "-d", "-p", "0")
	if in.port == 0 {
		t.Fatal("Port() = 0 with -p 0")
	}
	want := fmt.Sprintf("Echoserver listening on port %d\n", in.port)
	if got := in.out.String(); got != want {
		t.Fatalf("output = %q; want %q", got, want)
	}
}

func TestNoDebugPrintsNothing(t *testing.T) {
	in := start(t, "-p", "0")
	c := dial(t, in.url())
	if _, got := roundTrip(t, c, websocket.MessageText, []byte("quiet")); string(got) != "quiet" {
		t.Fatalf("echo = %q", got)
	}
	_ = c.Close(websocket.StatusNormalClosure, "")
	if !signaltest.WaitFor(func() bool { return clientCount(in.server) == 0 }, 5*time.Second) {
		t.Fatal("the client was not removed")
	}
	in.stop(t)
	if got := in.out.String(); got != "" {
		t.Fatalf("output without -d = %q; want none", got)
	}
}

func TestEchoText(t *testing.T) {
	in := start(t, "-d", "-p", "0")
	c := dial(t, in.url())
	for _, msg := range []string{"Hello, world!", "", "héllo \"quoted\" ✓"} {
		typ, got := roundTrip(t, c, websocket.MessageText, []byte(msg))
		if typ != websocket.MessageText || string(got) != msg {
			t.Errorf("echo of %q = %v %q; want text", msg, typ, got)
		}
		in.out.WaitFor(t, "Message received: "+strconv.Quote(msg)+"\n")
	}
}

func TestEchoBinary(t *testing.T) {
	in := start(t, "-d", "-p", "0")
	c := dial(t, in.url())
	big := make([]byte, 1<<20)
	if _, err := rand.Read(big); err != nil {
		t.Fatal(err)
	}
	for _, msg := range [][]byte{{0, 1, 2, 0xff}, big} {
		typ, got := roundTrip(t, c, websocket.MessageBinary, msg)
		if typ != websocket.MessageBinary || !bytes.Equal(got, msg) {
			t.Errorf("echo of %d bytes = %v, %d bytes, equal %v; want the same binary", len(msg), typ, len(got), bytes.Equal(got, msg))
		}
		in.out.WaitFor(t, fmt.Sprintf("Binary Message received: %d bytes\n", len(msg)))
	}
	// Text after binary keeps its type.
	if typ, got := roundTrip(t, c, websocket.MessageText, []byte("after")); typ != websocket.MessageText || string(got) != "after" {
		t.Errorf("echo = %v %q", typ, got)
	}
}

func TestEchoInterleavedClients(t *testing.T) {
	in := start(t, "-p", "0")
	a, b := dial(t, in.url()), dial(t, in.url())
	for i := range 20 {
		ma, mb := fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i)
		if _, got := roundTrip(t, a, websocket.MessageText, []byte(ma)); string(got) != ma {
			t.Fatalf("a got %q; want %q", got, ma)
		}
		if _, got := roundTrip(t, b, websocket.MessageBinary, []byte(mb)); string(got) != mb {
			t.Fatalf("b got %q; want %q", got, mb)
		}
	}
	if n := clientCount(in.server); n != 2 {
		t.Fatalf("clients = %d; want 2", n)
	}
}

// TestEchoQtClient uses the port's own QWebSocket as the client.
func TestEchoQtClient(t *testing.T) {
	in := start(t, "-d", "-p", "0")
	client := wsserver.NewWebSocket("", wsserver.VersionLatest, nil)
	defer client.Delete()
	connected := signaltest.NewSpy0(&client.Connected)
	text := signaltest.NewSpy(&client.TextMessageReceived)
	binary := signaltest.NewSpy(&client.BinaryMessageReceived)
	client.Open(in.url())
	if !connected.Wait(5 * time.Second) {
		t.Fatalf("not connected: %s", client.ErrorString())
	}
	client.SendTextMessage("Hello, world!")
	if !text.Wait(5*time.Second) || text.At(0) != "Hello, world!" {
		t.Fatalf("text echo: count %d", text.Count())
	}
	big := bytes.Repeat([]byte{0xa5, 0x5a}, 1<<19) // 1 MiB
	client.SendBinaryMessage(big)
	if !binary.Wait(10*time.Second) || !bytes.Equal(binary.At(0), big) {
		t.Fatalf("binary echo: count %d", binary.Count())
	}
	disconnected := signaltest.NewSpy0(&client.Disconnected)
	client.Close(wsserver.CloseCodeNormal, "")
	if disconnected.Count() == 0 && !disconnected.Wait(5*time.Second) {
		t.Fatal("no Disconnected")
	}
	in.out.WaitFor(t, "socketDisconnected:")
}

// TestDisconnectRemovesClient: socketDisconnected removes the socket from the
// list and DeleteLater()s it.
func TestDisconnectRemovesClient(t *testing.T) {
	in := start(t, "-d", "-p", "0")
	c := dial(t, in.url())
	roundTrip(t, c, websocket.MessageText, []byte("x"))
	var sock *wsserver.WebSocket
	onLoop(in.server, func() { sock = in.server.clients[0] })
	destroyed := signaltest.NewSpy(&sock.Destroyed)
	if n := clientCount(in.server); n != 1 {
		t.Fatalf("clients = %d; want 1", n)
	}
	_ = c.Close(websocket.StatusNormalClosure, "bye")
	in.out.WaitFor(t, "socketDisconnected: "+sock.ID().String()+"\n")
	if !signaltest.WaitFor(func() bool { return clientCount(in.server) == 0 }, 5*time.Second) {
		t.Fatalf("clients = %d after disconnect; want 0", clientCount(in.server))
	}
	if !signaltest.WaitFor(func() bool { return destroyed.Count() == 1 }, 5*time.Second) {
		t.Fatal("the socket was not deleted")
	}
}

func TestServesEchoPage(t *testing.T) {
	in := start(t, "-p", "0")
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, err := client.Get("http://127.0.0.1:" + strconv.Itoa(in.port) + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{">Connect<", ">Disconnect<", ">State<", ">Send<", "<textarea", `"ws://localhost:1234"`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the page has no %q", want)
		}
	}
	resp, err = client.Get("http://127.0.0.1:" + strconv.Itoa(in.port) + "/nope")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nope = %d; want 404", resp.StatusCode)
	}
}

// TestQuitClosesServerAndClients: what SIGINT does closes every client
// with a close frame (1001 "Connection closed", what ~QWebSocket sends),
// waits for them to go, deletes the server (closing the listener), and run
// returns 0.
func TestQuitClosesServerAndClients(t *testing.T) {
	in := start(t, "-d", "-p", "0")
	a, b := dial(t, in.url()), dial(t, in.url())
	roundTrip(t, a, websocket.MessageText, []byte("a"))
	roundTrip(t, b, websocket.MessageText, []byte("b"))
	destroyed := signaltest.NewSpy(&in.server.Destroyed)
	reads := make(chan error, 2)
	for _, c := range []*websocket.Conn{a, b} {
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
	if n := strings.Count(in.out.String(), "socketDisconnected: "); n != 2 {
		t.Errorf("%d socketDisconnected lines; want 2:\n%s", n, in.out)
	}
	d := net.Dialer{Timeout: time.Second}
	if conn, err := d.Dial("tcp", "127.0.0.1:"+strconv.Itoa(in.port)); err == nil {
		conn.Close()
		t.Error("the port still accepts connections after quit")
	}
}

// TestQuitWithSilentClient: a client that never answers the close frame
// does not keep the program from exiting (2 s at most).
func TestQuitWithSilentClient(t *testing.T) {
	in := start(t, "-p", "0")
	c := dial(t, in.url()) // never reads again, so never answers
	roundTrip(t, c, websocket.MessageText, []byte("x"))
	begin := time.Now()
	in.stop(t)
	if d := time.Since(begin); d > 4*time.Second {
		t.Errorf("shutdown took %v", d)
	}
}

// TestServerClosedQuits: the server's Closed reaches the application's quit
// through EchoServer.Closed, as main wires it.
func TestServerClosedQuits(t *testing.T) {
	in := start(t, "-p", "0")
	closed := signaltest.NewSpy0(&in.server.Closed)
	onLoop(in.server, func() { in.server.webSocketServer.Close() })
	in.wait(t) // run returned 0 without quit
	if closed.Count() != 1 {
		t.Errorf("Closed emitted %d times; want 1", closed.Count())
	}
}

// TestSIGINTExitsZero runs the real program in a child process and
// interrupts it as Ctrl-C does.
func TestSIGINTExitsZero(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-d", "-p", "0")
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
		if _, err := fmt.Sscanf(line, "Echoserver listening on port %d", &port); err != nil || port == 0 {
			t.Fatalf("first line %q; want Echoserver listening on port N", line)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no listening line within 10 s")
	}
	c := dial(t, "ws://127.0.0.1:"+strconv.Itoa(port))
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
			t.Fatalf("echoserver exited with %v after SIGINT; want exit status 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("echoserver did not exit within 10 s of SIGINT")
	}
	if len(rest) == 0 || rest[0] != `Message received: "Hello, world!"` {
		t.Errorf("lines after the first = %q", rest)
	}
}
