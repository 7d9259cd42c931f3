package loadtool

import (
	"context"
	"net"
	"sync"
)

// Tracker dials TCP connections and remembers the ones still open, so that
// a watchdog can cut them all: CloseAll makes every pending Dial, Read,
// Write and Close on them return, without a context per call. Use its
// DialContext as an http.Transport's. Make one with NewTracker.
type Tracker struct {
	closedErr error

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	dead  bool
}

// NewTracker returns a Tracker whose DialContext returns closedErr once
// CloseAll has been called.
func NewTracker(closedErr error) *Tracker {
	return &Tracker{closedErr: closedErr, conns: map[net.Conn]struct{}{}}
}

// DialContext dials addr and tracks the connection until it is closed.
// After CloseAll it closes what it dialled and returns the Tracker's error.
func (t *Tracker) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.dead {
		c.Close()
		return nil, t.closedErr
	}
	t.conns[c] = struct{}{}
	return &trackedConn{Conn: c, t: t}, nil
}

// CloseAll closes every connection still open and makes DialContext refuse
// new ones.
func (t *Tracker) CloseAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.dead = true
	for c := range t.conns {
		c.Close()
	}
	clear(t.conns)
}

// trackedConn forgets itself when closed, so that a long run does not keep
// closed connections.
type trackedConn struct {
	net.Conn
	t    *Tracker
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.t.mu.Lock()
		delete(c.t.conns, c.Conn)
		c.t.mu.Unlock()
	})
	return c.Conn.Close()
}
