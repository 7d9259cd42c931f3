package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
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
// test can send a real SIGINT to a real chatserver process.
const runMainEnv = "QTGO_CHATSERVER_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		return
	}
	goleak.VerifyTestMain(m)
}

// instance is one run of the program on its own goroutine.
type instance struct {
	server    *ChatServer
	out, errs *cmdtest.Buffer
	quit      chan struct{}
	done      chan int
	port      int
}

// start runs the program with args on a new goroutine, as main would.
func start(t *testing.T, args ...string) *instance {
	t.Helper()
	in := &instance{out: &cmdtest.Buffer{}, errs: &cmdtest.Buffer{}, quit: make(chan struct{}), done: make(chan int, 1)}
	ready := make(chan *ChatServer, 1)
	go func() { in.done <- run(args, in.out, in.errs, ready, in.quit) }()
	select {
	case in.server = <-ready:
	case code := <-in.done:
		t.Fatalf("run(%q) = %d before listening; stderr:\n%s", args, code, in.errs)
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
	if in.done == nil {
		return
	}
	close(in.quit)
	select {
	case code := <-in.done:
		in.done = nil
		if code != 0 {
			t.Errorf("run returned %d; want 0", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return within 5 s of quit")
	}
}

func (in *instance) url() string { return "ws://127.0.0.1:" + strconv.Itoa(in.port) }

// client is a coder/websocket peer (a non-Qt client, as a browser is) that
// knows its own port, which the server prints.
type client struct {
	*websocket.Conn
	port int
}

func dial(t *testing.T, url string) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var mu sync.Mutex
	var local net.Addr
	d := &net.Dialer{}
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err == nil {
			mu.Lock()
			local = c.LocalAddr()
			mu.Unlock()
		}
		return c, err
	}}
	defer tr.CloseIdleConnections()
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatalf("Dial(%s): %v", url, err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	mu.Lock()
	defer mu.Unlock()
	return &client{Conn: c, port: local.(*net.TCPAddr).Port}
}

func (c *client) id() string { return "127.0.0.1:" + strconv.Itoa(c.port) }

func (c *client) send(t *testing.T, msg string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		t.Fatalf("Write: %v", err)
	}
}

// next returns the next message, failing the test after 5 s.
func (c *client) next(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	typ, b, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("client %s: Read: %v", c.id(), err)
	}
	if typ != websocket.MessageText {
		t.Fatalf("client %s got a %v message; want text", c.id(), typ)
	}
	return string(b)
}

func clientCount(server *ChatServer) int {
	n := -1
	signals.InvokeMethod(server, func() { n = len(server.clients) }, signals.BlockingQueuedConnection)
	return n
}

func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want options
	}{
		{nil, options{address: wsserver.Any, port: 1234}}, // Qt: Any, 1234
		{[]string{"-p", "0"}, options{address: wsserver.Any, port: 0}},
		{[]string{"--port", "4321"}, options{address: wsserver.Any, port: 4321}},
		{[]string{"-a", "any"}, options{address: wsserver.Any, port: 1234}},
		{[]string{"-a", "localhost"}, options{address: wsserver.LocalHost, port: 1234}},
		{[]string{"--address", "127.0.0.1"}, options{address: wsserver.NewHostAddress("127.0.0.1"), port: 1234}},
		{[]string{"-a", "::1", "-p", "1"}, options{address: wsserver.LocalHostIPv6, port: 1}},
	} {
		var errs bytes.Buffer
		got, code, ok := parseArgs(tc.args, &errs)
		if !ok || code != 0 || !got.address.Equal(tc.want.address) || got.port != tc.want.port {
			t.Errorf("parseArgs(%q) = %v:%d, %d, %v; want %v:%d (stderr %q)", tc.args, got.address, got.port, code, ok, tc.want.address, tc.want.port, errs.String())
		}
	}
}

func TestParseArgsErrors(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		code     int
		contains string
	}{
		{[]string{"-h"}, 0, "-address"},
		{[]string{"-a", "nowhere"}, 1, "Invalid address \"nowhere\"\n"},
		{[]string{"-p", "65536"}, 1, "Port invalid, must be a number between 0 and 65535\n"},
		{[]string{"-p", "x"}, 1, "invalid value"},
		{[]string{"extra", "-x"}, 0, ""}, // positional arguments are ignored, as Qt's has none
	} {
		var errs bytes.Buffer
		_, code, ok := parseArgs(tc.args, &errs)
		if tc.contains == "" {
			if !ok {
				t.Errorf("parseArgs(%q) failed: %q", tc.args, errs.String())
			}
			continue
		}
		if ok || code != tc.code || !strings.Contains(errs.String(), tc.contains) {
			t.Errorf("parseArgs(%q) = %d, %v with stderr %q; want %d, false, containing %q", tc.args, code, ok, errs.String(), tc.code, tc.contains)
		}
		var out bytes.Buffer
		if got := run(tc.args, &out, &errs, nil, nil); got != tc.code || out.Len() != 0 {
			t.Errorf("run(%q) = %d with stdout %q; want %d and nothing", tc.args, got, out.String(), tc.code)
		}
	}
}

func TestListeningLines(t *testing.T) {
	in := start(t, "-a", "127.0.0.1", "-p", "0")
	if in.port == 0 {
		t.Fatal("ServerPort() = 0 with -p 0")
	}
	want := fmt.Sprintf("Chat Server listening on port %d\n"+
		"Open http://127.0.0.1:%d/ in a browser to chat (Ctrl-C stops the server)\n", in.port, in.port)
	if got := in.out.String(); got != want {
		t.Fatalf("output = %q; want %q", got, want)
	}
	if got := in.errs.String(); got != "" {
		t.Errorf("stderr = %q", got)
	}
}

// TestCannotListen: a port in use gets a message and exit code 1 (Qt prints
// nothing and runs a server that never listens).
func TestCannotListen(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	var out, errs cmdtest.Buffer
	done := make(chan int, 1)
	go func() { done <- run([]string{"-a", "127.0.0.1", "-p", port}, &out, &errs, nil, nil) }()
	select {
	case code := <-done:
		if code != 1 {
			t.Errorf("exit code %d; want 1", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return within 5 s")
	}
	if !strings.HasPrefix(errs.String(), "Chat Server cannot listen:") || out.String() != "" {
		t.Errorf("stdout %q, stderr %q", out.String(), errs.String())
	}
}

// TestRelay: three clients; each message reaches every client but its
// sender; the server prints Qt's connected!/disconnected! lines.
func TestRelay(t *testing.T) {
	in := start(t, "-a", "127.0.0.1", "-p", "0")
	// One at a time: the server learns of concurrent handshakes in any order.
	var a, b, c *client
	for _, x := range []**client{&a, &b, &c} {
		*x = dial(t, in.url())
		in.out.WaitFor(t, "\n"+(*x).id()+" connected!\n")
	}
	if !signaltest.WaitFor(func() bool { return clientCount(in.server) == 3 }, 5*time.Second) {
		t.Fatalf("clients = %d; want 3", clientCount(in.server))
	}

	a.send(t, "alice: hello")
	if got := b.next(t); got != "alice: hello" {
		t.Errorf("b got %q", got)
	}
	if got := c.next(t); got != "alice: hello" {
		t.Errorf("c got %q", got)
	}
	// a's next message is b's, so a never got its own.
	b.send(t, "bob: hi alice")
	if got := a.next(t); got != "bob: hi alice" {
		t.Errorf("a got %q; want bob's message (its own must not come back)", got)
	}
	if got := c.next(t); got != "bob: hi alice" {
		t.Errorf("c got %q", got)
	}
	// Binary messages are ignored, as in Qt.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageBinary, []byte("binary")); err != nil {
		t.Fatal(err)
	}
	c.send(t, "carol: ünïcode ✓")
	for _, x := range []*client{a, b} {
		if got := x.next(t); got != "carol: ünïcode ✓" {
			t.Errorf("%s got %q; want carol's text (binary is not relayed)", x.id(), got)
		}
	}

	// b leaves: the server prints it, forgets it, and relays to a and c only.
	_ = b.Close(websocket.StatusNormalClosure, "")
	in.out.WaitFor(t, "\n"+b.id()+" disconnected!\n")
	if !signaltest.WaitFor(func() bool { return clientCount(in.server) == 2 }, 5*time.Second) {
		t.Fatalf("clients = %d after a disconnect; want 2", clientCount(in.server))
	}
	a.send(t, "alice: bye bob")
	if got := c.next(t); got != "alice: bye bob" {
		t.Errorf("c got %q", got)
	}
	c.send(t, "carol: bye")
	if got := a.next(t); got != "carol: bye" {
		t.Errorf("a got %q", got)
	}

	// a and c answer the shutdown's close frames.
	reads := make(chan error, 2)
	for _, x := range []*client{a, c} {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, _, err := x.Read(ctx)
			reads <- err
		}()
	}
	in.stop(t)
	<-reads
	<-reads
	lines := strings.Split(strings.TrimSuffix(in.out.String(), "\n"), "\n")
	want := []string{
		fmt.Sprintf("Chat Server listening on port %d", in.port),
		fmt.Sprintf("Open http://127.0.0.1:%d/ in a browser to chat (Ctrl-C stops the server)", in.port),
		a.id() + " connected!", b.id() + " connected!", c.id() + " connected!",
		b.id() + " disconnected!",
	}
	if len(lines) != len(want)+2 {
		t.Fatalf("output:\n%s\nwant %d lines", in.out, len(want)+2)
	}
	for i, w := range want {
		if lines[i] != w {
			t.Errorf("line %d = %q; want %q", i, lines[i], w)
		}
	}
	// a and c are closed by the shutdown, in either order.
	rest := lines[len(want):]
	if !(rest[0] == a.id()+" disconnected!" && rest[1] == c.id()+" disconnected!" ||
		rest[1] == a.id()+" disconnected!" && rest[0] == c.id()+" disconnected!") {
		t.Errorf("last lines %q; want a and c disconnected!", rest)
	}
}

// TestDefaultAddressAny: with Qt's QHostAddress::Any a loopback client is
// still printed as address:port connected!.
func TestDefaultAddressAny(t *testing.T) {
	in := start(t, "-p", "0")
	c := dial(t, in.url())
	re := regexp.MustCompile(`\n(127\.0\.0\.1|::ffff:127\.0\.0\.1):` + strconv.Itoa(c.port) + ` connected!\n`)
	if !signaltest.WaitFor(func() bool { return re.MatchString(in.out.String()) }, 5*time.Second) {
		t.Fatalf("output %q has no connected! line for port %d", in.out, c.port)
	}
}

func TestServesChatPage(t *testing.T) {
	in := start(t, "-a", "127.0.0.1", "-p", "0")
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Get("http://127.0.0.1:" + strconv.Itoa(in.port) + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	page := string(body)
	for _, want := range []string{
		"<html", `id="host"`, `id="nick"`, `value="nickname"`, `id="message"`,
		`<button id="connect">Connect</button>`, `<button id="disconnect" disabled>Disconnect</button>`,
		`<button id="send" disabled>Send</button>`, `id="log"`, `"localhost:1234"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the chat page has no %q", want)
		}
	}
	resp, err = hc.Get("http://127.0.0.1:" + strconv.Itoa(in.port) + "/favicon.ico")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /favicon.ico = %d; want 404", resp.StatusCode)
	}
	// The page did not count as a chat client.
	if n := clientCount(in.server); n != 0 {
		t.Errorf("clients = %d after GET /; want 0", n)
	}
}

// TestQuitClosesClients: what SIGINT does sends every client a close frame
// (1001), waits for them to go and returns 0.
func TestQuitClosesClients(t *testing.T) {
	in := start(t, "-a", "127.0.0.1", "-p", "0")
	a, b := dial(t, in.url()), dial(t, in.url())
	in.out.WaitFor(t, a.id()+" connected!\n") // in any order: see TestRelay
	in.out.WaitFor(t, b.id()+" connected!\n")
	reads := make(chan error, 2)
	for _, x := range []*client{a, b} {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, _, err := x.Read(ctx) // answers the close frame
			reads <- err
		}()
	}
	start := time.Now()
	in.stop(t)
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("shutdown took %v; the clients answered at once", d)
	}
	for range 2 {
		err := <-reads
		var ce websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.StatusGoingAway || ce.Reason != "Server shutting down" {
			t.Errorf("client read: %v; want close 1001 \"Server shutting down\"", err)
		}
	}
	for _, x := range []*client{a, b} {
		if !strings.Contains(in.out.String(), x.id()+" disconnected!\n") {
			t.Errorf("no disconnected! line for %s:\n%s", x.id(), in.out)
		}
	}
	d := net.Dialer{Timeout: time.Second}
	if conn, err := d.Dial("tcp", "127.0.0.1:"+strconv.Itoa(in.port)); err == nil {
		conn.Close()
		t.Error("the port still accepts connections after quit")
	}
}

// TestQuitWithSilentClient: a client that never answers the close frame
// does not keep the server from exiting (2 s at most).
func TestQuitWithSilentClient(t *testing.T) {
	in := start(t, "-a", "127.0.0.1", "-p", "0")
	a := dial(t, in.url()) // never reads, so never answers the close
	in.out.WaitFor(t, a.id()+" connected!\n")
	start := time.Now()
	in.stop(t)
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("shutdown took %v", d)
	}
}

// TestSIGINTExitsZero runs the real program in a child process and
// interrupts it as Ctrl-C does: clients get a close frame, exit code 0.
func TestSIGINTExitsZero(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-a", "127.0.0.1", "-p", "0")
	// The race detector's default 1 s sleep at exit is not the program's.
	cmd.Env = append(os.Environ(), runMainEnv+"=1", "GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out := &cmdtest.Buffer{}
	done := make(chan error, 1)
	go func() {
		_, _ = io.Copy(out, stdout)
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
	deadline := time.Now().Add(10 * time.Second)
	for {
		line, _, _ := strings.Cut(out.String(), "\n")
		if _, err := fmt.Sscanf(line, "Chat Server listening on port %d", &port); err == nil && port != 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no listening line within 10 s; output %q", out)
		}
		time.Sleep(5 * time.Millisecond)
	}
	c := dial(t, "ws://127.0.0.1:"+strconv.Itoa(port))
	out.WaitFor(t, c.id()+" connected!\n") // the server knows the client
	closed := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _, err := c.Read(ctx) // answers the close frame
		closed <- err
	}()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := <-closed; websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Errorf("client read after SIGINT: %v; want a close with 1001", err)
	}
	select {
	case err := <-done:
		exited = true
		if err != nil {
			t.Fatalf("chatserver exited with %v after SIGINT; want exit status 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("chatserver did not exit within 10 s of SIGINT")
	}
	want := fmt.Sprintf("Chat Server listening on port %d\n"+
		"Open http://127.0.0.1:%d/ in a browser to chat (Ctrl-C stops the server)\n"+
		"%s connected!\n%s disconnected!\n", port, port, c.id(), c.id())
	if got := out.String(); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}
