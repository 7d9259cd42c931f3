package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qtgo/qtgo/internal/loadtool"
	"github.com/qtgo/qtgo/signals"
	"github.com/qtgo/qtgo/wsserver"
)

// EchoServer is the soak's echo server, made as cmd/echoserver's is: a
// WebSocketServer with Qt's defaults whose NewConnection slot takes every
// socket and sends each message back to its sender. It also counts the
// error signals for the report.
type EchoServer struct {
	signals.Object

	webSocketServer *wsserver.WebSocketServer
	clients         map[*wsserver.WebSocket]struct{}

	sockets      atomic.Int64
	acceptErrors atomic.Int64
	serverErrors atomic.Int64
	socketErrors atomic.Int64
}

// NewEchoServer returns an echo server listening on 127.0.0.1 on a free
// port, or an error if it cannot listen.
func NewEchoServer(parent signals.AnyObject) (*EchoServer, error) {
	e := &EchoServer{clients: map[*wsserver.WebSocket]struct{}{}}
	signals.Init(e, parent)
	e.webSocketServer = wsserver.NewWebSocketServer("Soak Echo Server", wsserver.NonSecureMode, e)
	if !e.webSocketServer.Listen(wsserver.LocalHost, 0) {
		err := errors.New(e.webSocketServer.ErrorString())
		e.Delete()
		return nil, err
	}
	e.webSocketServer.NewConnection.Connect(e, e.onNewConnection)
	e.webSocketServer.AcceptError.Connect(e, func(wsserver.SocketError) { e.acceptErrors.Add(1) })
	e.webSocketServer.ServerError.Connect(e, func(wsserver.CloseCode) { e.serverErrors.Add(1) })
	return e, nil
}

// URL returns the server's ws:// URL.
func (e *EchoServer) URL() string { return e.webSocketServer.ServerUrl().String() + "/" }

func (e *EchoServer) onNewConnection() {
	for e.webSocketServer.HasPendingConnections() {
		s := e.webSocketServer.NextPendingConnection()
		s.TextMessageReceived.Connect(e, e.processTextMessage)
		s.BinaryMessageReceived.Connect(e, e.processBinaryMessage)
		s.Disconnected.Connect(e, e.socketDisconnected)
		s.ErrorOccurred.Connect(e, func(wsserver.SocketError) { e.socketErrors.Add(1) })
		e.clients[s] = struct{}{}
		e.sockets.Add(1)
	}
}

func (e *EchoServer) processTextMessage(message string) {
	if s, ok := e.Sender().(*wsserver.WebSocket); ok {
		s.SendTextMessage(message)
	}
}

func (e *EchoServer) processBinaryMessage(message []byte) {
	if s, ok := e.Sender().(*wsserver.WebSocket); ok {
		s.SendBinaryMessage(message)
	}
}

func (e *EchoServer) socketDisconnected() {
	if s, ok := e.Sender().(*wsserver.WebSocket); ok {
		if _, live := e.clients[s]; live {
			delete(e.clients, s)
			e.sockets.Add(-1)
		}
		s.DeleteLater()
	}
}

// Destruct closes the server and deletes the sockets still connected.
func (e *EchoServer) Destruct() {
	e.webSocketServer.Close()
	for s := range e.clients {
		s.Delete()
	}
	clear(e.clients)
	e.sockets.Store(0)
}

// stats returns the process's figures and the server's counters.
func (e *EchoServer) stats() serverStats {
	st := ownStats()
	st.Sockets = e.sockets.Load()
	st.AcceptErrors = e.acceptErrors.Load()
	st.ServerErrors = e.serverErrors.Load()
	st.SocketErrors = e.socketErrors.Load()
	return st
}

// server is the echo server under soak, wherever it runs.
type server interface {
	// URL returns the URL to dial.
	URL() string
	// Stats returns the server's current figures.
	Stats() (serverStats, error)
	// Close stops the server (if wssoak runs it), waits for its goroutines
	// to return to their baseline (up to a few seconds), and returns its
	// figures then.
	Close() (serverStats, error)
}

// goroutineGrace bounds the wait for goroutines to return to the baseline.
const goroutineGrace = 5 * time.Second

// inProcessServer runs an EchoServer on a signals.Thread of this process.
type inProcessServer struct {
	th   *signals.Thread
	echo *EchoServer
	base int
}

// startInProcess starts the echo server on its own thread; base is the
// process's goroutine count before.
func startInProcess(base int) (*inProcessServer, error) {
	s := &inProcessServer{base: base}
	ready := make(chan error, 1)
	s.th = signals.CreateThread(func() {
		e, err := NewEchoServer(nil)
		if err != nil {
			ready <- err
			return
		}
		s.echo = e
		ready <- nil
		s.th.Exec()
		e.Delete()
	})
	s.th.Start()
	if err := <-ready; err != nil {
		s.th.Wait()
		return nil, fmt.Errorf("echo server: %v", err)
	}
	return s, nil
}

func (s *inProcessServer) URL() string { return s.echo.URL() }

func (s *inProcessServer) Stats() (serverStats, error) {
	st := s.echo.stats()
	st.GoroutinesBase = s.base
	return st, nil
}

func (s *inProcessServer) Close() (serverStats, error) {
	s.th.Quit()
	if !s.th.WaitTimeout(30 * time.Second) {
		return serverStats{}, errors.New("the server's thread did not finish within 30 s")
	}
	waitGoroutines(s.base, goroutineGrace)
	return s.Stats()
}

// externalServer is a server given with -url; pid, if not 0, is its
// process, whose RSS is reported.
type externalServer struct {
	url string
	pid int
}

func (s *externalServer) URL() string { return s.url }

func (s *externalServer) Stats() (serverStats, error) {
	st := serverStats{RSS: -1, Heap: -1, Goroutines: -1, GoroutinesBase: -1}
	if s.pid > 0 {
		st.RSS = vmRSS(s.pid)
	}
	return st, nil
}

func (s *externalServer) Close() (serverStats, error) { return s.Stats() }

// childEnv, set to 1, makes the program the child server (-server child).
const childEnv = "WSSOAK_CHILD_SERVER"

// The child server speaks a line protocol on its stdin and stdout: it
// first writes {"url":...}; then it answers each "stats" line with one
// serverStats object, and "close" (or the end of its stdin) with the
// figures after closing, and exits.

// childServer is the parent's end of a child server.
type childServer struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Scanner
	url  string
	mu   sync.Mutex
	dead bool
}

// startChild runs this program again as the echo server; its stderr goes
// to stderr.
func startChild(stderr io.Writer) (*childServer, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.Stderr = stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &childServer{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	var hello struct {
		URL string `json:"url"`
	}
	if err := c.read(&hello); err != nil || hello.URL == "" {
		_ = in.Close()
		_ = cmd.Wait()
		return nil, fmt.Errorf("child server did not start: %v", err)
	}
	c.url = hello.URL
	return c, nil
}

func (c *childServer) read(v any) error {
	if !c.out.Scan() {
		if err := c.out.Err(); err != nil {
			return err
		}
		return io.ErrUnexpectedEOF
	}
	return json.Unmarshal(c.out.Bytes(), v)
}

func (c *childServer) URL() string { return c.url }

// ask sends cmd and reads the answer.
func (c *childServer) ask(cmd string) (serverStats, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var st serverStats
	if c.dead {
		return st, errors.New("child server gone")
	}
	_, err := io.WriteString(c.in, cmd+"\n")
	if err == nil {
		err = c.read(&st)
	}
	if err != nil {
		c.dead = true
	}
	return st, err
}

func (c *childServer) Stats() (serverStats, error) { return c.ask("stats") }

func (c *childServer) Close() (serverStats, error) {
	st, err := c.ask("close")
	_ = c.in.Close()
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case werr := <-done:
		if err == nil && werr != nil {
			err = fmt.Errorf("child server: %v", werr)
		}
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
		if err == nil {
			err = errors.New("child server did not exit within 30 s")
		}
	}
	return st, err
}

// serveChild is the child server's main: it runs an echo server and
// answers the parent's requests (see childServer).
func serveChild(stdin io.Reader, stdout, stderr io.Writer) int {
	signal.Ignore(os.Interrupt) // the parent decides when to stop
	raiseNoFile(loadtool.NewLogger(stderr, "wssoak: "))
	base := runtime.NumGoroutine()
	srv, err := startInProcess(base)
	if err != nil {
		fmt.Fprintln(stderr, "wssoak (child):", err)
		return 1
	}
	enc := json.NewEncoder(stdout)
	if err := enc.Encode(map[string]string{"url": srv.URL()}); err != nil {
		_, _ = srv.Close()
		return 1
	}
	sc := bufio.NewScanner(stdin)
	for sc.Scan() && sc.Text() == "stats" {
		st, _ := srv.Stats()
		if enc.Encode(st) != nil {
			break
		}
	}
	st, err := srv.Close()
	if err != nil {
		fmt.Fprintln(stderr, "wssoak (child):", err)
	}
	_ = enc.Encode(st)
	return 0
}
