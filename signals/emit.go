package signals

import (
	"fmt"
	"reflect"
	"sync/atomic"

	"github.com/qtgo/qtgo/eventloop"
)

// slotConn is a connection with its typed slot. A is the signal's argument
// tuple: the argument itself for Signal[T], a struct for the others.
type slotConn[A any] struct {
	conn
	slot func(A)
}

// signal is the machinery shared by Signal0, Signal, Signal2 and Signal3.
// Its zero value is a signal with no owner and no connections.
type signal[A any] struct {
	owner *Object
	list  atomic.Pointer[[]*slotConn[A]] // copy-on-write, in connection order
}

func (s *signal[A]) setOwner(o *Object) { s.owner = o }

// emit is Qt's doActivate. The snapshot taken at the start is the set of
// connections this emission may call, so a connection made during the
// emission is not called by it; each connection's alive flag is read just
// before its slot, so one broken before the walk reaches it is not called.
func (s *signal[A]) emit(args A) {
	p := s.list.Load()
	if p == nil {
		return
	}
	sender := s.owner
	if sender != nil && sender.blocked.Load() {
		return
	}
	for _, c := range *p {
		if !c.alive.Load() {
			continue
		}
		switch c.typ {
		case DirectConnection:
			c.callDirect(sender, args)
		case AutoConnection:
			if l := c.targetLoop(); l == nil || l.IsCurrent() {
				c.callDirect(sender, args)
			} else {
				c.post(sender, l, args)
			}
		case QueuedConnection:
			c.post(sender, c.targetLoop(), args)
		case BlockingQueuedConnection:
			c.callBlocking(sender, args)
		}
	}
}

func (c *slotConn[A]) callDirect(sender *Object, args A) {
	if c.singleShot && !c.fire() {
		return
	}
	ctx := c.ctx
	if ctx == nil || !ctx.loopOf().IsCurrent() {
		c.slot(args) // Qt records no sender for a call from another thread
		return
	}
	callAsSender(ctx, sender, &c.conn, c.slot, args)
}

// callAsSender runs slot with sender recorded for Sender, restoring the outer
// record afterwards, even if the slot panics.
func callAsSender[A any](o *Object, sender *Object, c *conn, slot func(A), args A) {
	prevS, prevC := o.curSender, o.curConn
	o.curSender, o.curConn = sender, c
	defer func() { o.curSender, o.curConn = prevS, prevC }()
	slot(args)
}

// fire claims a single-shot connection: it is disconnected before its slot
// runs, and only the emission that disconnects it calls the slot.
func (c *slotConn[A]) fire() bool {
	graphMu.Lock()
	defer graphMu.Unlock()
	return c.disconnectLocked()
}

func (c *slotConn[A]) post(sender *Object, l *eventloop.Loop, args A) {
	if c.singleShot && !c.fire() {
		return
	}
	ctx := c.ctx
	var receiver any
	if ctx != nil {
		receiver = ctx
	}
	l.PostEvent(receiver, func() { c.deliver(sender, args) }, eventloop.NormalEventPriority)
}

// deliver runs a queued call on the receiver's loop, unless the receiver was
// destroyed meanwhile. A call already posted is delivered even if the
// connection has been broken since, as in Qt.
func (c *slotConn[A]) deliver(sender *Object, args A) {
	ctx := c.ctx
	if ctx == nil {
		c.slot(args)
		return
	}
	if ctx.dead.Load() {
		return
	}
	callAsSender(ctx, sender, &c.conn, c.slot, args)
}

func (c *slotConn[A]) callBlocking(sender *Object, args A) {
	l := c.targetLoop()
	if l.IsCurrent() {
		panic(fmt.Sprintf("signals: dead lock detected while activating a BlockingQueuedConnection: "+
			"sender %s and receiver %s are on the same loop (%s); Qt would hang here", sender, c.ctx, l))
	}
	if c.singleShot && !c.fire() {
		return
	}
	done := make(chan struct{})
	var receiver any
	if c.ctx != nil {
		receiver = c.ctx
	}
	l.PostEvent(receiver, func() {
		defer close(done)
		c.deliver(sender, args)
	}, eventloop.NormalEventPriority)
	<-done
}

// connect adds a connection; see Signal.Connect for the rules.
func (s *signal[A]) connect(context AnyObject, slot func(A), pc uintptr, types []ConnectionType) Connection {
	if slot == nil {
		warn("QObject::connect: invalid nullptr parameter")
		return Connection{}
	}
	var typ ConnectionType
	for _, t := range types {
		typ |= t
	}
	base := typ &^ typeFlags
	if base > BlockingQueuedConnection {
		warn(fmt.Sprintf("QObject::connect: invalid connection type %d", typ))
		return Connection{}
	}
	c := &slotConn[A]{slot: slot}
	c.sender, c.sig, c.slotPC, c.singleShot = s.owner, s, pc, typ&SingleShotConnection != 0
	switch {
	case context != nil:
		c.ctx = objectOf(context)
	case s.owner != nil:
		// Qt's context-less connect is connect(sender, signal, sender, slot, Direct).
		c.ctx = s.owner
	default:
		c.loop = eventloop.Current()
	}
	if context == nil && base == AutoConnection {
		base = DirectConnection
	}
	c.typ = base

	graphMu.Lock()
	defer graphMu.Unlock()
	if c.ctx != nil && c.ctx.dead.Load() {
		return Connection{}
	}
	old := s.list.Load()
	var cur []*slotConn[A]
	if old != nil {
		cur = *old
	}
	if typ&UniqueConnection != 0 {
		for _, o := range cur {
			if o.alive.Load() && o.ctx == c.ctx && o.slotPC == pc {
				return Connection{}
			}
		}
	}
	next := make([]*slotConn[A], 0, len(cur)+1)
	for _, o := range cur {
		if o.alive.Load() {
			next = append(next, o)
		}
	}
	next = append(next, c)
	c.alive.Store(true)
	s.list.Store(&next)
	if ctx := c.ctx; ctx != nil {
		c.inNext = ctx.incoming
		if ctx.incoming != nil {
			ctx.incoming.inPrev = &c.conn
		}
		ctx.incoming = &c.conn
	}
	return Connection{&c.conn}
}

// removeLocked drops c from the list (copy-on-write).
func (s *signal[A]) removeLocked(c *conn) {
	old := s.list.Load()
	if old == nil {
		return
	}
	next := make([]*slotConn[A], 0, len(*old))
	for _, o := range *old {
		if &o.conn != c && o.alive.Load() {
			next = append(next, o)
		}
	}
	if len(next) == 0 {
		s.list.Store(nil)
		return
	}
	s.list.Store(&next)
}

// disconnect breaks every connection to receiver (all of them if receiver is
// nil) and reports whether it broke any.
func (s *signal[A]) disconnect(receiver *Object) bool {
	graphMu.Lock()
	defer graphMu.Unlock()
	return s.disconnectLocked(receiver)
}

func (s *signal[A]) disconnectLocked(receiver *Object) bool {
	p := s.list.Load()
	if p == nil {
		return false
	}
	broke := false
	for _, c := range *p {
		if c.alive.Load() && (receiver == nil || c.ctx == receiver) {
			c.alive.Store(false)
			c.unlinkLocked()
			broke = true
		}
	}
	if broke {
		s.removeLocked(nil)
	}
	return broke
}

// connectedTo reports whether a live connection to receiver exists.
func (s *signal[A]) connectedTo(receiver *Object) bool {
	p := s.list.Load()
	if p == nil {
		return false
	}
	for _, c := range *p {
		if c.alive.Load() && c.ctx == receiver {
			return true
		}
	}
	return false
}

func (s *signal[A]) hasConnections() bool {
	p := s.list.Load()
	if p == nil {
		return false
	}
	for _, c := range *p {
		if c.alive.Load() {
			return true
		}
	}
	return false
}

// funcPC identifies a slot for UniqueConnection: its code pointer. A method
// value's code pointer names the method, so with the context it identifies
// the receiver's method, as Qt's pointer-to-member comparison does.
func funcPC(f any) uintptr {
	return reflect.ValueOf(f).Pointer()
}
