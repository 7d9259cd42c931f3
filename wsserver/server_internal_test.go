package wsserver

import (
	"context"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/qtgo/qtgo/signals/signaltest"
)

// emfileListener fails its next `fails` Accepts with EMFILE, as a process
// out of file descriptors does.
type emfileListener struct {
	net.Listener
	fails atomic.Int32
	calls atomic.Int32 // Accept calls
}

func (l *emfileListener) Accept() (net.Conn, error) {
	l.calls.Add(1)
	if l.fails.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

// Running out of descriptors emits AcceptError(SocketResourceError) once
// per episode; accepting then resumes by itself (Qt pauses accepting until
// ResumeAccepting: a documented deviation).
func TestServerAcceptErrorResourceExhausted(t *testing.T) {
	t.Parallel()
	srv := NewWebSocketServer("", NonSecureMode, nil)
	t.Cleanup(srv.Delete)
	acceptErrs := signaltest.NewSpy(&srv.AcceptError)
	serverErrs := signaltest.NewSpy(&srv.ServerError)
	newConn := signaltest.NewSpy0(&srv.NewConnection)
	inner, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &emfileListener{Listener: inner}
	ln.fails.Store(4)
	srv.serve(ln, LocalHost)

	dial := func() {
		t.Helper()
		type result struct {
			c   *websocket.Conn
			err error
		}
		done := make(chan result, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, _, err := websocket.Dial(ctx, srv.ServerUrl().String(), nil)
			done <- result{c, err}
		}()
		r, ok := signaltest.Receive(done, 5*time.Second)
		if !ok {
			t.Fatal("dial did not finish")
		}
		if r.err != nil {
			t.Fatalf("dial after the accept errors: %v", r.err)
		}
		_ = r.c.CloseNow()
	}
	dial()
	if !signaltest.WaitFor(func() bool { return newConn.Count() == 1 }, 5*time.Second) {
		t.Fatal("no NewConnection after the accept errors")
	}
	if n := acceptErrs.Count(); n != 1 || acceptErrs.At(0) != SocketResourceError {
		t.Fatalf("AcceptError emitted %d times (%v); want once with SocketResourceError", n, acceptErrs)
	}

	// A new episode is reported again. (The accepting goroutine is already
	// waiting in Accept, so the failures come after the next connection.)
	ln.fails.Store(2)
	dial()
	if !signaltest.WaitFor(func() bool { return acceptErrs.Count() == 2 }, 5*time.Second) {
		t.Fatalf("AcceptError emitted %d times; want 2", acceptErrs.Count())
	}
	dial()
	if !signaltest.WaitFor(func() bool { return newConn.Count() == 3 }, 5*time.Second) {
		t.Fatalf("NewConnection emitted %d times; want 3", newConn.Count())
	}
	if n := serverErrs.Count(); n != 0 {
		t.Errorf("ServerError emitted %d times; accept errors are not server errors", n)
	}
	for srv.HasPendingConnections() {
		srv.NextPendingConnection().Delete()
	}
}

// While descriptors stay exhausted, accepting backs off instead of spinning
// (Qt 6.4 retries at once, at 100 % CPU), a connection opened before keeps
// working, and a client waiting in the backlog is accepted once
// descriptors are free again.
func TestServerAcceptErrorBacksOff(t *testing.T) {
	t.Parallel()
	srv := NewWebSocketServer("", NonSecureMode, nil)
	t.Cleanup(srv.Delete)
	acceptErrs := signaltest.NewSpy(&srv.AcceptError)
	inner, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &emfileListener{Listener: inner}
	srv.serve(ln, LocalHost)
	ctx := context.Background()

	// A connection from before the episode, echoing.
	before, err := dialLooping(ctx, srv.ServerUrl().String())
	if err != nil {
		t.Fatal(err)
	}
	defer before.CloseNow()
	if !signaltest.WaitFor(srv.HasPendingConnections, 5*time.Second) {
		t.Fatal("no pending connection")
	}
	sock := srv.NextPendingConnection()
	defer sock.Delete()
	sock.TextMessageReceived.Connect(sock, func(m string) { sock.SendTextMessage(m) })

	// The episode starts at the Accept after the next connection (the
	// accepting goroutine is already waiting in the inner Accept).
	ln.fails.Store(1 << 30)
	trigger, err := dialLooping(ctx, srv.ServerUrl().String())
	if err != nil {
		t.Fatal(err)
	}
	defer trigger.CloseNow()
	if !signaltest.WaitFor(func() bool { return acceptErrs.Count() == 1 }, 5*time.Second) {
		t.Fatal("no AcceptError")
	}
	// A client in the backlog meanwhile.
	waiting := make(chan error, 1)
	go func() {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		c, _, err := websocket.Dial(dctx, srv.ServerUrl().String(), nil)
		if err == nil {
			_ = c.CloseNow()
		}
		waiting <- err
	}()

	start := ln.calls.Load()
	const window = 400 * time.Millisecond
	echoes := 0
	for deadline := time.Now().Add(window); time.Now().Before(deadline); {
		if err := before.Write(ctx, websocket.MessageText, []byte("still here")); err != nil {
			t.Fatalf("write on the earlier connection during the episode: %v", err)
		}
		got := make(chan string, 1)
		go func() {
			_, p, _ := before.Read(ctx)
			got <- string(p)
		}()
		if echo, _ := signaltest.Receive(got, 5*time.Second); echo != "still here" {
			t.Fatalf("the earlier connection's echo during the episode: %q", echo)
		}
		echoes++
	}
	// Backing off from 5 ms, doubling: about 7 attempts in 400 ms; a
	// spinning accept loop makes thousands.
	if n := ln.calls.Load() - start; n > 20 {
		t.Errorf("%d Accept calls in %v of exhausted descriptors; want a back-off (at most 20)", n, window)
	}
	if acceptErrs.Count() != 1 {
		t.Errorf("AcceptError emitted %d times in one episode; want 1", acceptErrs.Count())
	}

	ln.fails.Store(0)
	werr, ok := signaltest.Receive(waiting, 5*time.Second)
	if !ok {
		t.Fatal("the client waiting in the backlog was not accepted after the episode")
	}
	if werr != nil {
		t.Fatalf("the client waiting in the backlog: %v", werr)
	}
	t.Logf("%d echoes on the earlier connection during the episode", echoes)
	for srv.HasPendingConnections() {
		srv.NextPendingConnection().Delete()
	}
}

// dialLooping dials url with coder/websocket while the calling goroutine's
// loop runs: the server answers the handshake from it.
func dialLooping(ctx context.Context, url string) (*websocket.Conn, error) {
	type result struct {
		c   *websocket.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, _, err := websocket.Dial(ctx, url, nil)
		ch <- result{c, err}
	}()
	r, ok := signaltest.Receive(ch, 10*time.Second)
	if !ok {
		return nil, context.DeadlineExceeded
	}
	return r.c, r.err
}
