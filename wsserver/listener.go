package wsserver

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// listener wraps the server's TCP listener. Each accepted connection gets a
// batchConn carrying the handshake deadline (and TLS in SecureMode). Accept
// also implements PauseAccepting, HandleConnection's hand-off, and Qt's
// acceptError without Qt's busy loop: on a resource error (EMFILE, ENFILE,
// ENOBUFS, ENOMEM) it reports once and backs off, up to a second, until
// accepting works again.
type listener struct {
	inner net.Listener // nil for the hand-off listener
	srv   *WebSocketServer

	mu      sync.Mutex
	paused  bool
	resumed chan struct{} // closed on ResumeAccepting
	handoff chan net.Conn // HandleConnection (hand-off listener only)
	done    chan struct{}
	once    sync.Once

	// SetSocketDescriptor's descriptor, which the server owns (inner
	// listens on a duplicate of it): closed with the listener.
	file *os.File
	fd   int
}

func newListener(inner net.Listener, srv *WebSocketServer) *listener {
	return &listener{inner: inner, srv: srv, done: make(chan struct{})}
}

func newHandoffListener(srv *WebSocketServer) *listener {
	return &listener{srv: srv, handoff: make(chan net.Conn), done: make(chan struct{})}
}

// Accept returns the next connection, wrapped.
func (l *listener) Accept() (net.Conn, error) {
	if l.inner == nil {
		select {
		case c := <-l.handoff:
			return c, nil
		case <-l.done:
			return nil, net.ErrClosed
		}
	}
	backoff := time.Duration(0)
	for {
		if err := l.waitResumed(); err != nil {
			return nil, err
		}
		c, err := l.inner.Accept()
		if err != nil {
			if !isResourceError(err) {
				return nil, err
			}
			if backoff == 0 {
				l.srv.acceptFailed(SocketResourceError)
				backoff = 5 * time.Millisecond
			} else {
				backoff = min(2*backoff, time.Second)
			}
			select {
			case <-time.After(backoff):
				continue
			case <-l.done:
				return nil, net.ErrClosed
			}
		}
		backoff = 0
		if err := l.waitResumed(); err != nil {
			_ = c.Close()
			return nil, err
		}
		return l.srv.wrapConn(c, true), nil
	}
}

// waitResumed blocks while accepting is paused.
func (l *listener) waitResumed() error {
	for {
		l.mu.Lock()
		paused, ch := l.paused, l.resumed
		l.mu.Unlock()
		if !paused {
			return nil
		}
		select {
		case <-ch:
		case <-l.done:
			return net.ErrClosed
		}
	}
}

func (l *listener) setPaused(p bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p == l.paused {
		return
	}
	l.paused = p
	if p {
		l.resumed = make(chan struct{})
	} else {
		close(l.resumed)
	}
}

// Close closes the listener; connections already accepted are not touched.
func (l *listener) Close() error {
	var err error
	l.once.Do(func() {
		close(l.done)
		if l.inner != nil {
			err = l.inner.Close()
		}
		if l.file != nil {
			_ = l.file.Close()
		}
	})
	return err
}

// Addr returns the listening address.
func (l *listener) Addr() net.Addr {
	if l.inner == nil {
		return &net.TCPAddr{}
	}
	return l.inner.Addr()
}

func isResourceError(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM)
}

// wrapConn prepares an accepted connection: a batchConn, with Qt's
// handshake timer when timed, and TLS in SecureMode.
func (srv *WebSocketServer) wrapConn(c net.Conn, timed bool) net.Conn {
	bc := newBatchConn(c)
	srv.mu.Lock()
	timeout, conf, mode := srv.handshakeTimeout, srv.tlsConfig, srv.mode
	srv.mu.Unlock()
	var conn net.Conn = bc
	if timed && timeout >= 0 {
		// Qt's timer closes the socket: no response, no signal. A read
		// deadline would not do: net/http answers a request line cut short
		// by it with "400 Bad Request".
		conn = &handshakeConn{batchConn: bc, timer: time.AfterFunc(timeout, func() { _ = c.Close() })}
	}
	if mode == SecureMode {
		return tls.Server(conn, srv.serverTLS(conf))
	}
	return conn
}

// A handshakeConn is an accepted connection whose handshake timer runs
// until the upgrade stops it (stopHandshakeTimer).
type handshakeConn struct {
	*batchConn
	timer *time.Timer
}

// Close stops the timer, which would otherwise hold the connection until
// it fires.
func (c *handshakeConn) Close() error {
	c.timer.Stop()
	return c.batchConn.Close()
}

type connKey struct{}

// connInfo is what the handshake needs of its connection.
type connInfo struct {
	bc    *batchConn
	fw    net.Conn    // the connection net/http hands over: frames go there
	timer *time.Timer // nil: no handshake timer
}

// connContext stores the connection's batchConn and handshake timer in its
// requests' context, so the handshake can stop the timer and batch writes.
func connContext(ctx context.Context, c net.Conn) context.Context {
	fw := c
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	switch c := c.(type) {
	case *handshakeConn:
		if fw == c {
			fw = c.batchConn // the same writes, without the wrapper
		}
		return context.WithValue(ctx, connKey{}, connInfo{bc: c.batchConn, fw: fw, timer: c.timer})
	case *batchConn:
		return context.WithValue(ctx, connKey{}, connInfo{bc: c, fw: fw})
	}
	return ctx
}

// batchConnOf returns the batchConn of the connection under ctx and the
// connection frames are written to (itself, or the TLS connection on it).
func batchConnOf(ctx context.Context) (*batchConn, net.Conn) {
	ci, _ := ctx.Value(connKey{}).(connInfo)
	return ci.bc, ci.fw
}

// stopHandshakeTimer stops the handshake timer of the connection under ctx
// and reports false if it has fired already (the connection is closed).
func stopHandshakeTimer(ctx context.Context) bool {
	ci, _ := ctx.Value(connKey{}).(connInfo)
	return ci.timer == nil || ci.timer.Stop()
}
