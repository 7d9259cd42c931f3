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
	// alone is the list of a signal whose only connection this is, so the
	// common case of one connection costs no allocation besides the
	// connection itself.
	alone [1]*slotConn[A]
	list  []*slotConn[A]
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
//
// Direct calls record the sender on the receiver for Sender. The record is
// saved and restored around each call inline; the one deferred function per
// emission restores it only if a slot panics, which keeps a direct call as
// cheap as a few stores.
func (s *signal[A]) emit(args A) {
	p := s.list.Load()
	if p == nil {
		return
	}
	sender := s.owner
	if sender != nil && sender.blocked.Load() {
		return
	}
	var g senderGuard
	defer g.restore()
	var (
		lastLoop *eventloop.Loop // the loop whose ownership was checked last
		lastSame bool
	)
	for _, c := range *p {
		if !c.alive.Load() {
			continue
		}
		ctx := c.ctx
		var l *eventloop.Loop
		if ctx != nil {
			l = ctx.loopOf()
		} else {
			l = c.loop
		}
		if l != lastLoop {
			lastLoop, lastSame = l, l == nil || l.IsCurrent()
		}
		switch c.typ {
		case AutoConnection:
			if !lastSame {
				c.post(sender, l, args)
				continue
			}
		case QueuedConnection:
			c.post(sender, l, args)
			continue
		case BlockingQueuedConnection:
			c.callBlocking(sender, l, lastSame, args)
			continue
		}
		// Direct, or Auto on the receiver's own loop.
		if c.singleShot && !c.fire() {
			continue
		}
		if ctx == nil || !lastSame {
			c.slot(args) // Qt records no sender for a call from another thread
			continue
		}
		g.set(ctx, l, sender, &c.conn)
		c.slot(args)
		g.done()
	}
}

// senderGuard saves a receiver's Sender record around one direct call.
type senderGuard struct {
	o      *Object
	loop   *eventloop.Loop
	prevS  *Object
	prevC  *conn
	active bool
}

func (g *senderGuard) set(o *Object, l *eventloop.Loop, sender *Object, c *conn) {
	g.o, g.loop, g.prevS, g.prevC, g.active = o, l, o.curSender, o.curConn, true
	o.curSender, o.curConn = sender, c
}

// done restores the record, unless the slot moved the object to another
// loop: the record then belongs to that loop's goroutine.
func (g *senderGuard) done() {
	g.active = false
	if g.o.loop.Load() == g.loop {
		g.o.curSender, g.o.curConn = g.prevS, g.prevC
	}
}

// restore runs when the emission ends; it acts only if a slot panicked.
func (g *senderGuard) restore() {
	if g.active {
		g.done()
	}
}

// callAsSender runs slot with sender recorded for Sender, restoring the outer
// record afterwards, even if the slot panics. It must be called on o's loop
// goroutine. If the slot moved o to another loop, the record now belongs to
// that loop's goroutine and is left alone.
func callAsSender[A any](o *Object, sender *Object, c *conn, slot func(A), args A) {
	l := o.loop.Load()
	prevS, prevC := o.curSender, o.curConn
	o.curSender, o.curConn = sender, c
	defer func() {
		if o.loop.Load() == l {
			o.curSender, o.curConn = prevS, prevC
		}
	}()
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
	c.postTo(l, sender, args, nil)
}

// postTo posts the call to l. done, if not nil, is closed once the call has
// run or been dropped.
func (c *slotConn[A]) postTo(l *eventloop.Loop, sender *Object, args A, done chan struct{}) {
	var receiver any
	if c.ctx != nil {
		receiver = c.ctx
	}
	l.PostEvent(receiver, func() { c.deliver(sender, args, done) }, eventloop.NormalEventPriority)
}

// deliver runs a queued call on the receiver's loop, unless the receiver was
// destroyed meanwhile. A call already posted is delivered even if the
// connection has been broken since, as in Qt.
//
// If the receiver now lives on another loop, the call follows it there: an
// emitter on another goroutine may have read the receiver's old loop just
// before MoveToLoop changed it and posted there just after MoveToLoop moved
// the pending calls, and the slot must still run where the receiver lives.
func (c *slotConn[A]) deliver(sender *Object, args A, done chan struct{}) {
	ctx := c.ctx
	if ctx != nil && !ctx.dead.Load() {
		if l := ctx.loopOf(); !l.IsCurrent() {
			c.postTo(l, sender, args, done)
			return
		}
	}
	if done != nil {
		defer close(done)
	}
	switch {
	case ctx == nil:
		c.slot(args)
	case !ctx.dead.Load():
		callAsSender(ctx, sender, &c.conn, c.slot, args)
	}
}

func (c *slotConn[A]) callBlocking(sender *Object, l *eventloop.Loop, same bool, args A) {
	if same {
		panic(fmt.Sprintf("signals: dead lock detected while activating a BlockingQueuedConnection: "+
			"sender %s and receiver %s are on the same loop (%s); Qt would hang here", sender, c.ctx, l))
	}
	if c.singleShot && !c.fire() {
		return
	}
	done := make(chan struct{})
	c.postTo(l, sender, args, done)
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
	var cur []*slotConn[A]
	if old := s.list.Load(); old != nil {
		cur = *old
	}
	if typ&UniqueConnection != 0 {
		for _, o := range cur {
			if o.alive.Load() && o.ctx == c.ctx && o.slotPC == pc {
				return Connection{}
			}
		}
	}
	s.publishLocked(cur, nil, c)
	c.alive.Store(true)
	if ctx := c.ctx; ctx != nil {
		c.inNext = ctx.incoming
		if ctx.incoming != nil {
			ctx.incoming.inPrev = &c.conn
		}
		ctx.incoming = &c.conn
	}
	return Connection{&c.conn}
}

// removeLocked drops c, and any connection no longer alive, from the list.
func (s *signal[A]) removeLocked(c *conn) {
	if old := s.list.Load(); old != nil {
		s.publishLocked(*old, c, nil)
	}
}

// publishLocked stores a new list (copy-on-write): cur without drop and
// without dead connections, plus add at the end. Emissions under way keep
// the list they loaded.
func (s *signal[A]) publishLocked(cur []*slotConn[A], drop *conn, add *slotConn[A]) {
	n := 0
	for _, o := range cur {
		if &o.conn != drop && (o.alive.Load() || o == add) {
			n++
		}
	}
	if add != nil {
		n++
	}
	switch {
	case n == 0:
		s.list.Store(nil)
		return
	case n == 1 && add != nil:
		add.alone[0] = add
		add.list = add.alone[:]
		s.list.Store(&add.list)
		return
	}
	next := make([]*slotConn[A], 0, n)
	for _, o := range cur {
		if &o.conn != drop && o.alive.Load() {
			next = append(next, o)
		}
	}
	if add != nil {
		next = append(next, add)
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
