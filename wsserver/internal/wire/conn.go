package wire

import (
	"crypto/tls"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// A Runner runs functions on the goroutine that owns a Conn: the event loop
// of the socket. Post and PostLow may be called from any goroutine; a Runner
// may drop what is posted once its owner is gone.
type Runner interface {
	// IsCurrent reports whether the caller is the owner's goroutine.
	IsCurrent() bool
	// Post queues fn behind what is queued already.
	Post(fn func())
	// PostLow queues fn to run once the events queued now have run: the
	// end of the owner's current iteration.
	PostLow(fn func())
}

// A Handler receives a Conn's events, on the Runner's goroutine, in the
// order the peer sent them.
type Handler interface {
	// Frame delivers a data frame (and with ev.Fin its message).
	Frame(ev *Event)
	// Pong delivers a pong's payload.
	Pong(payload []byte)
	// CloseReceived delivers a close frame's payload. Nothing the peer
	// sends after it is delivered.
	CloseReceived(payload []byte)
	// ProtocolError reports a fault of the peer's; nothing after it is
	// delivered.
	ProtocolError(e *ProtocolError)
	// ReadEnded reports that the peer's stream ended (io.EOF), or that
	// reading failed, without a close frame.
	ReadEnded(err error)
	// BytesWritten reports bytes handed to the kernel.
	BytesWritten(n int64)
	// WriteFailed reports a write that failed; the connection is dead.
	WriteFailed(err error)
	// Closed reports that a Close which could not complete at once has:
	// its bytes went out (or failed to) and the connection is shut.
	Closed()
}

// Config is what a Conn is made with.
type Config struct {
	// Server says this side is the server: the frames it reads must be
	// masked, the frames it writes are not. A client masks its frames and
	// unmasks a server's masked frames, as Qt does.
	Server bool
	// Runner is the goroutine that owns the Conn, Handler what receives
	// its events there.
	Runner  Runner
	Handler Handler
	// FrameLimit and MessageLimit return the largest frame and message the
	// Conn accepts; they are called for each frame.
	FrameLimit, MessageLimit func() uint64
	// Deflate holds the negotiated permessage-deflate, or nil.
	Deflate *Deflate
}

// A Conn is one WebSocket connection after its opening handshake. Its
// methods but Start's reading belong to the Runner's goroutine unless they
// say otherwise.
type Conn struct {
	nc     net.Conn   // where frames are read and written (the TLS connection, or bc)
	bc     *batchConn // the TCP connection under nc; nil when it is not ours
	tls    *tls.Conn  // nc when it is TLS over bc
	server bool
	runner Runner
	h      Handler
	limits limits

	compress *compressor // nil without permessage-deflate
	cparams  Deflate

	// reading: parser and scratch belong to the reader goroutine
	p       parser
	prefix  []byte // bytes read with the handshake, parsed first
	reads   atomic.Uint64
	inRead  atomic.Bool // the reader waits for the network, not the loop
	started atomic.Bool
	stopped atomic.Bool // nothing more is delivered (closing, closed, aborted)
	stall   stallTimer

	inMu       sync.Mutex
	inbox      []Event
	inPosted   bool
	aheadMsgs  int
	aheadBytes int
	credit     chan struct{} // wakes the reader waiting for the loop
	ready      []Event       // posted, not yet delivered; the Runner's only
	deliverFn  func()

	// writing (wmu)
	wmu         sync.Mutex
	out         []byte  // framed bytes not yet taken by a write
	outBox      *[]byte // out's box from bufPool
	queued      int64   // framed bytes not yet handed to the kernel (BytesToWrite)
	writing     bool    // the loop's write or the writer goroutine is under way
	flushPosted bool
	shut        bool // shut the sending side once everything queued is out
	shutDone    bool
	inlineClose bool         // Close is completing inside the call: no Closed
	dead        bool         // aborted: nothing is written any more
	ownWritten  atomic.Int64 // bytes written without a batchConn to count them
	// writeProgress counts the writer goroutine's writes, for waitCredit.
	writeProgress atomic.Uint64
	flushFn       func()

	closeOnce sync.Once
	closed    chan struct{} // closed with the descriptor
	grace     *time.Timer
	wg        sync.WaitGroup
}

// Deflate is a negotiated permessage-deflate (RFC 7692).
type Deflate struct {
	params deflateParams
}

// AcceptDeflate is a server's answer to the Sec-WebSocket-Extensions
// lines of a request: the line to send back and what it agrees on, or ""
// and nil when no offer of permessage-deflate can be taken.
func AcceptDeflate(offers []string) (header string, d *Deflate) {
	resp, p, ok := acceptDeflate(offers)
	if !ok {
		return "", nil
	}
	return resp, &Deflate{params: p}
}

// readAhead and readAheadBytes bound what a Conn reads before its owner
// has delivered it: beyond them reading waits, so TCP slows the peer down
// instead of memory growing.
const (
	readAhead      = 16
	readAheadBytes = 4 << 20
)

// closeGrace is how long a connection whose sending side is shut waits for
// the peer to end its stream before the descriptor is closed anyway.
// Waiting keeps a close frame from being lost to a reset (closing a
// socket with unread bytes makes the kernel answer with RST).
const closeGrace = 2 * time.Second

// NewConn returns a Conn on nc, an upgraded connection; prefix holds bytes
// already read after the handshake. nc is the connection itself, or a
// *tls.Conn over it; the Conn takes ownership of it.
func NewConn(nc net.Conn, prefix []byte, cfg Config) *Conn {
	c := &Conn{
		nc:     nc,
		server: cfg.Server,
		runner: cfg.Runner,
		h:      cfg.Handler,
		limits: limits{frame: cfg.FrameLimit, message: cfg.MessageLimit},
		prefix: prefix,
		credit: make(chan struct{}, 1),
		closed: make(chan struct{}),
	}
	under := nc
	if tc, ok := nc.(*tls.Conn); ok {
		c.tls = tc
		under = tc.NetConn()
	}
	if bc, ok := under.(*batchConn); ok {
		c.bc = bc
	}
	c.p = parser{server: cfg.Server, limits: &c.limits}
	if cfg.Deflate != nil {
		c.cparams = *cfg.Deflate
		d := cfg.Deflate.params
		in, out := d.clientNoContextTakeover, d.serverNoContextTakeover
		outBits := d.serverMaxWindowBits
		if !cfg.Server {
			in, out = out, in
			outBits = d.clientMaxWindowBits
		}
		c.p.deflate, c.p.inflater = true, newDecompressor(in)
		c.compress = newCompressor(out, outBits)
	}
	c.deliverFn = c.deliver
	c.flushFn = c.flushEvent
	return c
}

// Wrap prepares an accepted or dialled TCP connection for a Conn: it
// returns the connection to run the handshake (and TLS) on. A Conn made
// on it, or on a *tls.Conn over it, writes without blocking.
func Wrap(c net.Conn) net.Conn { return newBatchConn(c) }

// Start starts reading and delivering events. It may be called once, from
// any goroutine; until then the peer's frames wait in the kernel.
func (c *Conn) Start() {
	if c.started.Swap(true) {
		return
	}
	c.wg.Add(1)
	go c.readLoop()
}

// IsTLS reports whether the connection is TLS.
func (c *Conn) IsTLS() bool {
	_, ok := c.nc.(*tls.Conn)
	return ok
}

// Compressed reports whether permessage-deflate is in use.
func (c *Conn) Compressed() bool { return c.compress != nil }

// LocalAddr and RemoteAddr are the connection's addresses.
func (c *Conn) LocalAddr() net.Addr  { return c.nc.LocalAddr() }
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// Abort drops the connection at once, with what is queued; nothing more is
// delivered. Safe from any goroutine.
func (c *Conn) Abort() {
	c.stopDelivering()
	c.wmu.Lock()
	c.dead = true
	c.dropQueueLocked()
	c.wmu.Unlock()
	c.closeNow()
}

// closeNow closes the descriptor (once).
func (c *Conn) closeNow() {
	c.closeOnce.Do(func() {
		c.wmu.Lock()
		g := c.grace
		c.wmu.Unlock()
		if g != nil {
			g.Stop()
		}
		_ = c.nc.Close()
		close(c.closed)
		if c.compress != nil {
			c.compress.release()
		}
	})
}

func (c *Conn) closedCh() <-chan struct{} { return c.closed }

// Wait waits for the Conn's goroutines; the connection must have been
// aborted or closed.
func (c *Conn) Wait() { c.wg.Wait() }

// stopDelivering makes the Conn deliver nothing more and releases a reader
// waiting for the loop: it reads on, discarding, until the peer's stream
// ends.
func (c *Conn) stopDelivering() {
	c.stopped.Store(true)
	c.inMu.Lock()
	c.inbox = nil
	c.aheadMsgs, c.aheadBytes = 0, 0
	c.inMu.Unlock()
	select {
	case c.credit <- struct{}{}:
	default:
	}
}
