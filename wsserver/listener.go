package wsserver

import (
	"errors"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/qtgo/qtgo/wsserver/internal/wire"
)

// listener wraps the server's TCP listener: Accept implements
// PauseAccepting, and Qt's acceptError without Qt's busy loop: on a
// resource error (EMFILE, ENFILE, ENOBUFS, ENOMEM) it reports once and
// backs off, up to a second, until accepting works again.
type listener struct {
	inner net.Listener
	srv   *WebSocketServer

	mu      sync.Mutex
	paused  bool
	resumed chan struct{} // closed on ResumeAccepting
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

// acceptLoop accepts connections until the listener is closed and runs
// each one's handshake on a goroutine of its own, with Qt's handshake
// timer: no answer and no signal when it fires.
func (srv *WebSocketServer) acceptLoop(ln *listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		bc := wire.Wrap(c)
		srv.mu.Lock()
		timeout := srv.handshakeTimeout
		srv.mu.Unlock()
		var timer *time.Timer
		if timeout >= 0 {
			timer = time.AfterFunc(timeout, func() { _ = bc.Close() })
		}
		srv.serving.Add(1)
		go func() {
			defer srv.serving.Done()
			srv.handshake(bc, timer)
		}()
	}
}

// Accept returns the next connection.
func (l *listener) Accept() (net.Conn, error) {
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
		return c, nil
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
		err = l.inner.Close()
		if l.file != nil {
			_ = l.file.Close()
		}
	})
	return err
}

// Addr returns the listening address.
func (l *listener) Addr() net.Addr { return l.inner.Addr() }

func isResourceError(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM)
}

// A handoffListener is a net.Listener whose connections are handed to it
// (hand), for an http.Server that serves connections accepted elsewhere.
type handoffListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newHandoffListener() *handoffListener {
	return &handoffListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

// hand gives c to the server, or closes it if the listener is closed.
func (l *handoffListener) hand(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		_ = c.Close()
	}
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *handoffListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *handoffListener) Addr() net.Addr { return &net.TCPAddr{} }
