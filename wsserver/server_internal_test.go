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
}

func (l *emfileListener) Accept() (net.Conn, error) {
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
		var r result
		if !signaltest.WaitFor(func() bool {
			select {
			case r = <-done:
				return true
			default:
				return false
			}
		}, 5*time.Second) {
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
