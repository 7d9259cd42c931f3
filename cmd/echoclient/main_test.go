package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/qtgo/qtgo/internal/cmdtest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(int) {
		if buildDir != "" {
			os.RemoveAll(buildDir)
		}
	}))
}

// runClient runs the program with args and returns its exit code and
// output; it fails the test if run does not return within 10 s.
func runClient(t *testing.T, args ...string) (int, string) {
	t.Helper()
	out := &cmdtest.Buffer{}
	quit := make(chan struct{})
	done := make(chan int, 1)
	go func() { done <- run(args, out, quit) }()
	select {
	case code := <-done:
		return code, out.String()
	case <-time.After(10 * time.Second):
		close(quit)
		<-done
		t.Fatalf("run(%q) did not return within 10 s; output:\n%s", args, out)
		return -1, ""
	}
}

const portInvalid = "Port invalid, must be a number between 1 and 65535\n"

func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want options
	}{
		{nil, options{url: "ws://localhost:1234"}}, // Qt's defaults
		{[]string{"-d"}, options{debug: true, url: "ws://localhost:1234"}},
		{[]string{"--debug"}, options{debug: true, url: "ws://localhost:1234"}},
		{[]string{"-n", "example.org"}, options{url: "ws://example.org:1234"}},
		{[]string{"--hostname", "127.0.0.1"}, options{url: "ws://127.0.0.1:1234"}},
		{[]string{"-n", "::1"}, options{url: "ws://[::1]:1234"}},
		{[]string{"-p", "1"}, options{url: "ws://localhost:1"}},
		{[]string{"--port", "65535"}, options{url: "ws://localhost:65535"}},
		{[]string{"-d", "-n", "h", "-p", "80"}, options{debug: true, url: "ws://h:80"}},
	} {
		var errs bytes.Buffer
		got, code, ok := parseArgs(tc.args, &errs)
		if !ok || code != 0 || got != tc.want {
			t.Errorf("parseArgs(%q) = %+v, %d, %v; want %+v, 0, true (stderr %q)", tc.args, got, code, ok, tc.want, errs.String())
		}
	}
}

// TestInvalidPort: Qt prints the warning, then the help, and exits 1.
func TestInvalidPort(t *testing.T) {
	for _, port := range []string{"0", "65536", "-1", "abc", "", "12x", "99999999999999999999"} {
		code, out := runClient(t, "-d", "-p", port)
		if code != 1 {
			t.Errorf("-p %q: exit code %d; want 1", port, code)
		}
		if !strings.HasPrefix(out, portInvalid) {
			t.Errorf("-p %q: output %q; want it to start with %q", port, out, portInvalid)
		}
		if !strings.Contains(out, "QtWebSockets example: echoclient") {
			t.Errorf("-p %q: no help after the warning: %q", port, out)
		}
		if strings.Contains(out, "WebSocket server:") {
			t.Errorf("-p %q: the client started: %q", port, out)
		}
	}
	if code, out := runClient(t, "--port", "70000"); code != 1 || !strings.HasPrefix(out, portInvalid) {
		t.Errorf("--port 70000: %d %q", code, out)
	}
}

func TestHelp(t *testing.T) {
	code, out := runClient(t, "-h")
	if code != 0 {
		t.Errorf("-h: exit code %d; want 0", code)
	}
	for _, want := range []string{"Usage: echoclient [options]", "QtWebSockets example: echoclient", "-debug", "-hostname", "-port", "default \"localhost\"", "default \"1234\""} {
		if !strings.Contains(out, want) {
			t.Errorf("help has no %q:\n%s", want, out)
		}
	}
	if code, _ := runClient(t, "--nope"); code != 1 {
		t.Errorf("--nope: exit code %d; want 1", code)
	}
}

// freePort returns a loopback port that nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// TestRefusedExitsZero: Qt emits disconnected on a failed connect, which is
// wired to closed and so to quit: exit code 0 at once.
func TestRefusedExitsZero(t *testing.T) {
	port := freePort(t)
	start := time.Now()
	code, out := runClient(t, "-d", "-n", "127.0.0.1", "-p", strconv.Itoa(port))
	if code != 0 {
		t.Errorf("exit code %d; want 0", code)
	}
	want := fmt.Sprintf("WebSocket server: ws://127.0.0.1:%d\n", port)
	if out != want {
		t.Errorf("output %q; want %q", out, want)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v to give up", d)
	}
}

// TestServerClosesFirst: a server that closes without answering ends the
// program too (disconnected → closed → quit).
func TestServerClosesFirst(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		_, _, _ = c.Read(ctx) // "Hello, world!"
		_ = c.Close(websocket.StatusGoingAway, "no echo today")
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	code, out := runClient(t, "-d", "-n", "127.0.0.1", "-p", port)
	if code != 0 {
		t.Errorf("exit code %d; want 0", code)
	}
	want := "WebSocket server: ws://127.0.0.1:" + port + "\nWebSocket connected\n"
	if out != want {
		t.Errorf("output %q; want %q", out, want)
	}
}

// echoServer is the real echoserver program, built and started in a child
// process with -d -p 0.
type echoServer struct {
	cmd   *exec.Cmd
	port  int
	mu    sync.Mutex
	lines []string
	done  chan error
}

func (e *echoServer) output() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.lines...)
}

// goTool is the go command that runs the test: go test puts its GOROOT/bin
// first in the test's PATH.
func goTool() string { return "go" }

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// buildEchoServer builds cmd/echoserver once per test binary.
func buildEchoServer(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "echoclient-test-")
		if buildErr != nil {
			return
		}
		cmd := exec.Command(goTool(), "build", "-o", filepath.Join(buildDir, "echoserver"), "github.com/qtgo/qtgo/cmd/echoserver")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build echoserver: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(buildDir, "echoserver")
}

func startEchoServer(t *testing.T) *echoServer {
	t.Helper()
	e := &echoServer{cmd: exec.Command(buildEchoServer(t), "-d", "-p", "0"), done: make(chan error, 1)}
	stderr, err := e.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			e.mu.Lock()
			e.lines = append(e.lines, sc.Text())
			if len(e.lines) == 1 {
				first <- sc.Text()
			}
			e.mu.Unlock()
		}
		e.done <- e.cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = e.cmd.Process.Kill()
		<-e.done
	})
	select {
	case line := <-first:
		if _, err := fmt.Sscanf(line, "Echoserver listening on port %d", &e.port); err != nil || e.port == 0 {
			t.Fatalf("echoserver's first line %q", line)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("echoserver printed nothing within 10 s")
	}
	return e
}

// stop interrupts the echoserver as Ctrl-C does and checks it exits 0.
func (e *echoServer) stop(t *testing.T) {
	t.Helper()
	if err := e.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-e.done:
		e.done <- err // for Cleanup
		if err != nil {
			t.Errorf("echoserver after SIGINT: %v; want exit status 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("echoserver did not exit within 10 s of SIGINT")
	}
}

// waitLine waits up to 5 s for the echoserver to print a line starting with
// prefix.
func (e *echoServer) waitLine(t *testing.T, prefix string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, l := range e.output() {
			if strings.HasPrefix(l, prefix) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("echoserver printed no %q line; got %q", prefix, e.output())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestEndToEnd runs echoclient against the echoserver program: one round
// trip, Qt's debug lines, exit code 0, and the server sees the message and
// the disconnection.
func TestEndToEnd(t *testing.T) {
	e := startEchoServer(t)
	port := strconv.Itoa(e.port)
	code, out := runClient(t, "-d", "-n", "127.0.0.1", "-p", port)
	if code != 0 {
		t.Errorf("exit code %d; want 0", code)
	}
	want := "WebSocket server: ws://127.0.0.1:" + port + "\n" +
		"WebSocket connected\n" +
		"Message received: \"Hello, world!\"\n"
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
	e.waitLine(t, `Message received: "Hello, world!"`)
	e.waitLine(t, "socketDisconnected: ")

	// Without -d the client prints nothing and still exits 0.
	code, out = runClient(t, "--hostname", "127.0.0.1", "--port", port)
	if code != 0 || out != "" {
		t.Errorf("without -d: exit code %d, output %q; want 0 and none", code, out)
	}
	e.stop(t)
	n := 0
	for _, l := range e.output() {
		if l == `Message received: "Hello, world!"` {
			n++
		}
	}
	if n != 2 {
		t.Errorf("echoserver received %d messages; want 2:\n%s", n, strings.Join(e.output(), "\n"))
	}
}
