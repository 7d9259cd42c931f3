// Package browser drives the chat example (cmd/chatserver) from a real
// browser: Debian's Chromium, headless, through the DevTools protocol.
//
// It is a separate module so that users of github.com/qtgo/qtgo never
// download chromedp. Run it with
//
//	cd test/browser && go test -count=1 ./...
//
// It skips when /usr/bin/chromium is missing (apt-get install chromium),
// and fails instead when CI=true. On failure it saves a screenshot of each
// tab into $BROWSER_ARTIFACTS, or a new directory under $TMPDIR that is
// kept, and logs the paths.
package browser

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/qtgo/qtgo/signals/signaltest"
	"github.com/qtgo/qtgo/wsserver"
)

const chromium = "/usr/bin/chromium"

// step bounds each browser action; the whole test stays under a minute.
const step = 10 * time.Second

// chatServer is the chatserver program in a child process.
type chatServer struct {
	cmd   *exec.Cmd
	port  int
	done  chan error
	mu    sync.Mutex
	lines []string
}

func (s *chatServer) output() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines...)
}

// count returns how many output lines match re.
func (s *chatServer) count(re *regexp.Regexp) int {
	n := 0
	for _, l := range s.output() {
		if re.MatchString(l) {
			n++
		}
	}
	return n
}

// waitCount waits up to step for n output lines matching re.
func (s *chatServer) waitCount(t *testing.T, re *regexp.Regexp, n int) {
	t.Helper()
	deadline := time.Now().Add(step)
	for s.count(re) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the server printed %d lines matching %s; want %d:\n%s", s.count(re), re, n, strings.Join(s.output(), "\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// goTool is the go command that runs the test: go test puts its GOROOT/bin
// first in the test's PATH.
func goTool() string { return "go" }

// startChatServer builds cmd/chatserver (from this checkout, through the
// replace directive) and runs it on 127.0.0.1 with a free port.
func startChatServer(ctx context.Context, t *testing.T) *chatServer {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "chatserver")
	build := exec.CommandContext(ctx, goTool(), "build", "-o", bin, "github.com/qtgo/qtgo/cmd/chatserver")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build chatserver: %v\n%s", err, out)
	}
	s := &chatServer{cmd: exec.Command(bin, "-a", "localhost", "-p", "0"), done: make(chan error, 1)}
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stderr = os.Stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			s.mu.Lock()
			s.lines = append(s.lines, sc.Text())
			if len(s.lines) == 1 {
				first <- sc.Text()
			}
			s.mu.Unlock()
		}
		s.done <- s.cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		<-s.done
	})
	select {
	case line := <-first:
		if _, err := fmt.Sscanf(line, "Chat Server listening on port %d", &s.port); err != nil || s.port == 0 {
			t.Fatalf("the server's first line is %q; want Chat Server listening on port N", line)
		}
	case <-time.After(step):
		t.Fatal("the chat server printed nothing")
	}
	return s
}

// stop interrupts the server as Ctrl-C does and checks it exits with 0.
func (s *chatServer) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.done:
		s.done <- err // for Cleanup
		if err != nil {
			t.Errorf("the chat server after SIGINT: %v; want exit status 0", err)
		}
	case <-time.After(step):
		t.Fatal("the chat server did not exit after SIGINT")
	}
}

// tab is one browser tab showing the chat page.
type tab struct {
	name string
	ctx  context.Context
}

// do runs actions in the tab, bounded by step.
func (b tab) do(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, step)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %s: %v", b.name, what, err)
	}
}

// log returns the text of the page's log.
func (b tab) log(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, step)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("log").value`))
	if err != nil {
		t.Fatalf("%s: reading the log: %v", b.name, err)
	}
	return v
}

// waitLog waits until the log has a line equal to line.
func (b tab) waitLog(t *testing.T, line string) {
	t.Helper()
	b.do(t, "waiting for the log line "+line,
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById("log").value.split("\n").includes(%q)`, line),
			chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(step)))
}

// screenshot saves the tab's screenshot into dir and returns its path.
func (b tab) screenshot(dir string) (string, error) {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "chat-"+b.name+".png")
	return path, os.WriteFile(path, png, 0o644)
}

func lines(log string) []string { return strings.Split(strings.TrimSuffix(log, "\n"), "\n") }

func countLine(log, line string) int {
	n := 0
	for _, l := range lines(log) {
		if l == line {
			n++
		}
	}
	return n
}

// TestChatInBrowser opens the chat page in two tabs, connects both, sends
// from each with a nickname, sees each message arrive once in the other tab
// and once (its local echo) in the sender's, disconnects, and checks the
// server's connected!/disconnected! lines. A Go QWebSocket client in the
// same chat sees both messages too.
func TestChatInBrowser(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing (CI=true): .ci/run must apt-get install chromium", chromium)
		}
		t.Skipf("%s is missing: install Debian's chromium (apt-get install chromium) to run the browser test", chromium)
	}
	// One deadline for everything that can hang: the build, the browser,
	// every step in it.
	started := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 55*time.Second)
	defer cancel()
	srv := startChatServer(ctx, t)
	t.Logf("chatserver built and started in %v", time.Since(started).Round(time.Millisecond))
	pageURL := fmt.Sprintf("http://127.0.0.1:%d/", srv.port)
	connected := regexp.MustCompile(`^127\.0\.0\.1:\d+ connected!$`)
	disconnected := regexp.MustCompile(`^127\.0\.0\.1:\d+ disconnected!$`)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(900, 700),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	defer cancelBrowser()
	// The first Run starts the browser; it gets no timeout of its own
	// (that would stop the browser), ctx bounds it.
	browserStart := time.Now()
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("starting %s: %v", chromium, err)
	}
	t.Logf("%s started in %v", chromium, time.Since(browserStart).Round(time.Millisecond))

	tabs := make([]tab, 2)
	for i, name := range []string{"alice", "bob"} {
		tctx, cancelTab := chromedp.NewContext(browserCtx)
		defer cancelTab()
		if err := chromedp.Do(tctx); err != nil {
			t.Fatalf("opening tab %s: %v", name, err)
		}
		tabs[i] = tab{name: name, ctx: tctx}
	}
	alice, bob := tabs[0], tabs[1]
	defer func() {
		if !t.Failed() {
			return
		}
		// Not t.TempDir: that is removed when the test ends.
		dir := os.Getenv("BROWSER_ARTIFACTS")
		var err error
		if dir == "" {
			dir, err = os.MkdirTemp("", "qtgo-browser-artifacts-")
		} else {
			err = os.MkdirAll(dir, 0o755)
		}
		if err != nil {
			t.Logf("no directory for the screenshots: %v", err)
			return
		}
		for _, b := range tabs {
			if path, err := b.screenshot(dir); err != nil {
				t.Logf("screenshot of tab %s: %v", b.name, err)
			} else {
				t.Logf("screenshot of tab %s: %s", b.name, path)
			}
		}
	}()

	for _, b := range tabs {
		b.do(t, "opening the chat page",
			chromedp.Navigate(pageURL),
			chromedp.WaitVisible(chromedp.ID("connect")),
		)
		host, err := func() (string, error) {
			c, cancel := context.WithTimeout(b.ctx, step)
			defer cancel()
			return chromedp.Run(c, chromedp.Value(chromedp.ID("host")))
		}()
		if err != nil || host != fmt.Sprintf("127.0.0.1:%d", srv.port) {
			t.Fatalf("%s: the Host field is %q (%v); want the page's own host", b.name, host, err)
		}
		b.do(t, "connecting",
			chromedp.SetValue(chromedp.ID("nick"), b.name),
			chromedp.Click(chromedp.ID("connect")),
			chromedp.WaitEnabled(chromedp.ID("send")),
			chromedp.WaitEnabled(chromedp.ID("disconnect")),
		)
		b.waitLog(t, "CONNECTED")
	}
	srv.waitCount(t, connected, 2)

	// A Go client (QWebSocket's port) joins the same chat.
	goClient := wsserver.NewWebSocket("", wsserver.VersionLatest, nil)
	defer goClient.Delete()
	goConnected := signaltest.NewSpy0(&goClient.Connected)
	goMessages := signaltest.NewSpy(&goClient.TextMessageReceived)
	goClient.Open(fmt.Sprintf("ws://127.0.0.1:%d", srv.port))
	if !goConnected.Wait(step) {
		t.Fatalf("the Go client did not connect: %s", goClient.ErrorString())
	}
	srv.waitCount(t, connected, 3)

	// alice sends with the Send button, bob answers with Enter.
	alice.do(t, "sending with Send",
		chromedp.SetValue(chromedp.ID("message"), "hello from the first tab"),
		chromedp.Click(chromedp.ID("send")),
	)
	bob.waitLog(t, "alice: hello from the first tab")
	bob.do(t, "sending with Enter",
		chromedp.SendKeys(chromedp.ID("message"), "hi alice\r"),
	)
	alice.waitLog(t, "bob: hi alice")
	if !signaltest.WaitFor(func() bool { return goMessages.Count() >= 2 }, step) {
		t.Fatalf("the Go client got %d messages; want 2", goMessages.Count())
	}
	if goMessages.At(0) != "alice: hello from the first tab" || goMessages.At(1) != "bob: hi alice" {
		t.Errorf("the Go client got %q, %q", goMessages.At(0), goMessages.At(1))
	}
	// The Go client speaks too; both tabs show it.
	goClient.SendTextMessage("gopher: hello browsers")
	goClient.Flush() // as in Qt, writing waits for the loop, which this goroutine is not running
	alice.waitLog(t, "gopher: hello browsers")
	bob.waitLog(t, "gopher: hello browsers")

	// Each message is in every log exactly once: the sender's copy is its
	// local echo, since the server never sends a message back to its sender.
	aliceLog, bobLog := alice.log(t), bob.log(t)
	for _, line := range []string{"alice: hello from the first tab", "bob: hi alice", "gopher: hello browsers"} {
		if n := countLine(aliceLog, line); n != 1 {
			t.Errorf("alice's log has %q %d times; want once:\n%s", line, n, aliceLog)
		}
		if n := countLine(bobLog, line); n != 1 {
			t.Errorf("bob's log has %q %d times; want once:\n%s", line, n, bobLog)
		}
	}
	if goMessages.Count() != 2 {
		t.Errorf("the Go client got %d messages; want 2 (not its own)", goMessages.Count())
	}
	if v, err := func() (string, error) {
		c, cancel := context.WithTimeout(alice.ctx, step)
		defer cancel()
		return chromedp.Run(c, chromedp.Value(chromedp.ID("message")))
	}(); err != nil || v != "" {
		t.Errorf("alice's message field after Send = %q (%v); want it cleared", v, err)
	}

	// Disconnect both tabs: the buttons follow and the server prints it.
	for _, b := range tabs {
		b.do(t, "disconnecting",
			chromedp.Click(chromedp.ID("disconnect")),
			chromedp.Poll[chromedp.Void](`document.getElementById("send").disabled && document.getElementById("disconnect").disabled`,
				chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(step)),
		)
		b.waitLog(t, "DISCONNECTED")
	}
	srv.waitCount(t, disconnected, 2)
	if n := srv.count(connected); n != 3 {
		t.Errorf("the server printed %d connected! lines; want 3", n)
	}

	// The server's Ctrl-C closes the Go client with a close frame.
	goDisconnected := signaltest.NewSpy0(&goClient.Disconnected)
	srv.stop(t)
	if !goDisconnected.Wait(step) && goDisconnected.Count() == 0 {
		t.Error("the Go client was not disconnected by the server's shutdown")
	}
	if goClient.CloseCode() != wsserver.CloseCodeGoingAway {
		t.Errorf("the Go client's close code = %v; want 1001", goClient.CloseCode())
	}
	srv.waitCount(t, disconnected, 3)
	t.Logf("server output:\n%s", strings.Join(srv.output(), "\n"))
}
