package signals

import (
	"sync"
	"sync/atomic"

	"github.com/qtgo/qtgo/eventloop"
)

// ConnectionType is Qt::ConnectionType: how a slot is invoked when its signal
// is emitted. One of the four types may be OR-ed with the two flags.
type ConnectionType int

// Qt's connection types and flags, with Qt's values.
const (
	// AutoConnection (the default) decides at every emission, per
	// connection: the slot is called directly if the emitting goroutine is
	// the goroutine of the receiver's (context's) loop, otherwise the call is
	// queued to that loop.
	AutoConnection ConnectionType = 0
	// DirectConnection calls the slot at once, on the emitting goroutine.
	DirectConnection ConnectionType = 1
	// QueuedConnection copies the arguments and posts the call to the
	// receiver's loop; Emit returns at once.
	QueuedConnection ConnectionType = 2
	// BlockingQueuedConnection posts the call like QueuedConnection and
	// blocks the emitter until the slot has run. Emitting it on the
	// receiver's own loop goroutine panics (Qt deadlocks).
	BlockingQueuedConnection ConnectionType = 3
	// UniqueConnection makes Connect fail if the same receiver and slot are
	// already connected to the signal.
	UniqueConnection ConnectionType = 0x80
	// SingleShotConnection disconnects the connection the first time it is
	// activated, before the slot runs.
	SingleShotConnection ConnectionType = 0x100
)

const typeFlags = UniqueConnection | SingleShotConnection

// String returns the Qt name of the type and its flags.
func (t ConnectionType) String() string {
	var s string
	switch t &^ typeFlags {
	case AutoConnection:
		s = "AutoConnection"
	case DirectConnection:
		s = "DirectConnection"
	case QueuedConnection:
		s = "QueuedConnection"
	case BlockingQueuedConnection:
		s = "BlockingQueuedConnection"
	default:
		s = "ConnectionType(?)"
	}
	if t&UniqueConnection != 0 {
		s += "|UniqueConnection"
	}
	if t&SingleShotConnection != 0 {
		s += "|SingleShotConnection"
	}
	return s
}

// graphMu guards every change to the connection graph: the signals'
// connection lists, the objects' incoming lists and object destruction's
// disconnects. Emission never takes it: it reads an immutable snapshot of a
// signal's connections and each connection's alive flag, so no lock is held
// while a slot runs.
var graphMu sync.Mutex

// remover is the signal a connection belongs to.
type remover interface {
	removeLocked(c *conn)
}

// conn is the type-independent part of a connection.
type conn struct {
	alive      atomic.Bool
	typ        ConnectionType // without flags
	singleShot bool
	ctx        *Object         // receiver or context; nil only for ownerless signals
	loop       *eventloop.Loop // queued target when ctx is nil
	sender     *Object         // the signal's owner, may be nil
	sig        remover
	slotPC     uintptr // the slot's code pointer, for UniqueConnection

	// the ctx's incoming list, guarded by graphMu
	inPrev, inNext *conn
}

// disconnectLocked breaks c; it reports whether c was connected.
func (c *conn) disconnectLocked() bool {
	if !c.alive.Load() {
		return false
	}
	c.alive.Store(false)
	c.sig.removeLocked(c)
	c.unlinkLocked()
	return true
}

func (c *conn) unlinkLocked() {
	if c.ctx == nil {
		return
	}
	if c.inPrev != nil {
		c.inPrev.inNext = c.inNext
	} else if c.ctx.incoming == c {
		c.ctx.incoming = c.inNext
	}
	if c.inNext != nil {
		c.inNext.inPrev = c.inPrev
	}
	c.inPrev, c.inNext = nil, nil
}

// A Connection is a handle to one connection (QMetaObject::Connection).
// Copies share the connection. The zero Connection, and the one a failed
// Connect returns, is not connected. Dropping a handle never disconnects.
type Connection struct {
	c *conn
}

// Connected reports whether the connection still exists, like Qt's
// operator bool: false after Disconnect, after the sender, receiver or
// context is destroyed, and after a single-shot connection has fired
// (already inside its slot).
func (c Connection) Connected() bool {
	return c.c != nil && c.c.alive.Load()
}

// Disconnect breaks the connection (QObject::disconnect(connection)). It
// reports whether it did: false if the connection was already broken. A call
// already queued is still delivered, as in Qt; only destroying the receiver
// drops it.
func (c Connection) Disconnect() bool {
	if c.c == nil {
		return false
	}
	graphMu.Lock()
	defer graphMu.Unlock()
	return c.c.disconnectLocked()
}
